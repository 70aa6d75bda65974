#ifndef TANDEM_COSIP2_SHIM_H
#define TANDEM_COSIP2_SHIM_H

/*
 * The parts of libosip2 / libosipparser2 that the SIP module uses. Do not define
 * OSIP_MONOTHREAD: Debian builds osip2 multi-threaded and struct layouts depend on it.
 *
 * parser_init() must run exactly once before any thread parses (it is neither idempotent
 * nor thread-safe); the SIP module owns that call.
 */
#include <sys/time.h>
#include <time.h>
#include <osip2/osip.h>
#include <osip2/osip_dialog.h>
#include <osip2/osip_time.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_md5.h>
#include <osipparser2/sdp_message.h>

/* Macros Swift cannot import, as inline functions. */
static inline int cosip2_message_is_request(const osip_message_t *m) { return MSG_IS_REQUEST(m); }
static inline int cosip2_message_is_response(const osip_message_t *m) { return MSG_IS_RESPONSE(m); }

#endif
