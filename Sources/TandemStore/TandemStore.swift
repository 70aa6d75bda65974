// TandemStore — SQLite (system libsqlite3, through GRDB) in WAL mode: migrations, the
// conversation tables, and the durable outbox written in the same transaction as the message
// it delivers.
//
// Contract at this stage: empty. GRDB joins the package with the Conversations issue.

import Conversations
