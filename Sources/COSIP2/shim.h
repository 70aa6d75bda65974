#ifndef TANDEM_COSIP2_SHIM_H
#define TANDEM_COSIP2_SHIM_H

/*
 * The parts of libosip2 / libosipparser2 that the SIP module uses. Do not define
 * OSIP_MONOTHREAD: Debian builds osip2 multi-threaded and struct layouts depend on it.
 *
 * parser_init() must run exactly once before any thread parses (it is neither idempotent
 * nor thread-safe); the SIP module owns that call.
 *
 * libosip2 5.3's headers need <sys/time.h> and <time.h> first.
 */
#include <sys/time.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <osip2/osip.h>
#include <osip2/osip_dialog.h>
#include <osip2/osip_time.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_md5.h>
#include <osipparser2/sdp_message.h>

/* Macros Swift cannot import, as inline functions. */
static inline int cosip2_message_is_request(const osip_message_t *m) { return MSG_IS_REQUEST(m); }
static inline int cosip2_message_is_response(const osip_message_t *m) { return MSG_IS_RESPONSE(m); }

/* osip_free is a statement macro over a global function pointer. */
static inline void cosip2_free(void *p) { osip_free(p); }

/* The header lists of a message that the SIP module reads, by kind. */
enum cosip2_header_list {
    COSIP2_VIA = 0,
    COSIP2_CONTACT = 1,
    COSIP2_RECORD_ROUTE = 2,
    COSIP2_ROUTE = 3,
    COSIP2_WWW_AUTHENTICATE = 4,
    COSIP2_PROXY_AUTHENTICATE = 5,
    COSIP2_AUTHORIZATION = 6,
    COSIP2_PROXY_AUTHORIZATION = 7,
    COSIP2_ALLOW = 8,
};

/*
 * Serialises element `pos` of one of the message's known-header lists into a fresh string
 * (to be freed with cosip2_free). Returns 0, or -1 past the end or when osip cannot
 * serialise the element.
 */
static inline int cosip2_header_list_element(osip_message_t *m, int list, int pos, char **out) {
    void *element = NULL;
    *out = NULL;
    switch (list) {
    case COSIP2_VIA:
        if (osip_message_get_knownheaderlist(&m->vias, pos, &element) < 0) return -1;
        return osip_via_to_str((osip_via_t *)element, out) == 0 ? 0 : -1;
    case COSIP2_CONTACT:
        if (osip_message_get_knownheaderlist(&m->contacts, pos, &element) < 0) return -1;
        return osip_contact_to_str((osip_contact_t *)element, out) == 0 ? 0 : -1;
    case COSIP2_RECORD_ROUTE:
        if (osip_message_get_knownheaderlist(&m->record_routes, pos, &element) < 0) return -1;
        return osip_record_route_to_str((osip_record_route_t *)element, out) == 0 ? 0 : -1;
    case COSIP2_ROUTE:
        if (osip_message_get_knownheaderlist(&m->routes, pos, &element) < 0) return -1;
        return osip_route_to_str((osip_route_t *)element, out) == 0 ? 0 : -1;
    case COSIP2_WWW_AUTHENTICATE:
        if (osip_message_get_knownheaderlist(&m->www_authenticates, pos, &element) < 0) return -1;
        return osip_www_authenticate_to_str((osip_www_authenticate_t *)element, out) == 0 ? 0 : -1;
    case COSIP2_PROXY_AUTHENTICATE:
        if (osip_message_get_knownheaderlist(&m->proxy_authenticates, pos, &element) < 0) return -1;
        return osip_www_authenticate_to_str((osip_www_authenticate_t *)element, out) == 0 ? 0 : -1;
    case COSIP2_AUTHORIZATION:
        if (osip_message_get_knownheaderlist(&m->authorizations, pos, &element) < 0) return -1;
        return osip_authorization_to_str((osip_authorization_t *)element, out) == 0 ? 0 : -1;
    case COSIP2_PROXY_AUTHORIZATION:
        if (osip_message_get_knownheaderlist(&m->proxy_authorizations, pos, &element) < 0) return -1;
        return osip_authorization_to_str((osip_authorization_t *)element, out) == 0 ? 0 : -1;
    case COSIP2_ALLOW:
        if (osip_message_get_knownheaderlist(&m->allows, pos, &element) < 0) return -1;
        return osip_content_length_to_str((osip_content_length_t *)element, out) == 0 ? 0 : -1;
    default:
        return -1;
    }
}

/* The value of the top Via's branch parameter, or NULL (owned by the message). */
static inline const char *cosip2_top_via_branch(const osip_message_t *m) {
    osip_via_t *via = (osip_via_t *)osip_list_get(&m->vias, 0);
    osip_generic_param_t *branch = NULL;
    if (via == NULL) return NULL;
    if (osip_via_param_get_byname(via, "branch", &branch) != 0 || branch == NULL) return NULL;
    return branch->gvalue;
}

/* The tag parameter of a From or To header, or NULL (owned by the message). */
static inline const char *cosip2_from_tag(const osip_from_t *from) {
    osip_generic_param_t *tag = NULL;
    if (from == NULL) return NULL;
    if (osip_from_get_tag((osip_from_t *)from, &tag) != 0 || tag == NULL) return NULL;
    return tag->gvalue;
}

/* A URI parameter (e.g. "transport", "lr"): 1 and its value (may be NULL) when present. */
static inline int cosip2_uri_param(osip_uri_t *uri, const char *name, const char **value) {
    osip_uri_param_t *param = NULL;
    *value = NULL;
    if (osip_uri_uparam_get_byname(uri, (char *)name, &param) != 0 || param == NULL) return 0;
    *value = param->gvalue;
    return 1;
}

/* The first body of a message: its bytes and length (owned by the message), or 0 when none. */
static inline size_t cosip2_first_body(const osip_message_t *m, const char **bytes) {
    osip_body_t *body = NULL;
    *bytes = NULL;
    if (osip_message_get_body(m, 0, &body) != 0 || body == NULL || body->body == NULL) return 0;
    *bytes = body->body;
    return body->length;
}

/*
 * Trace routing. osip2 writes parse errors to stdout unless a trace function is installed;
 * that function takes a va_list, which Swift cannot implement, so this trampoline formats
 * the line and hands it to a plain C-convention sink.
 */
typedef void (*cosip2_trace_sink_t)(int level, const char *file, int line, const char *text);
static cosip2_trace_sink_t cosip2_trace_sink_function = NULL;

static inline void cosip2_trace_trampoline(const char *fi, int li, osip_trace_level_t level,
                                           const char *chfr, va_list ap) {
    char text[512];
    if (cosip2_trace_sink_function == NULL || chfr == NULL) return;
    vsnprintf(text, sizeof text, chfr, ap);
    cosip2_trace_sink_function((int)level, fi, li, text);
}

/* Installs `sink` for every level up to `level` (0 fatal … 4 info). */
static inline void cosip2_install_trace_sink(cosip2_trace_sink_t sink, int level) {
    cosip2_trace_sink_function = sink;
    osip_trace_initialize_func((osip_trace_level_t)level, cosip2_trace_trampoline);
}

/*
 * An incoming-message event for an already parsed message (osip_parse() would parse again).
 * evt_set_type_incoming_sipmessage is exported by libosip2 but not declared in its headers.
 * The event owns `sip` (osip_event_free frees both).
 */
type_t evt_set_type_incoming_sipmessage(osip_message_t *sip);
static inline osip_event_t *cosip2_new_incoming_event(osip_message_t *sip) {
    osip_event_t *event = (osip_event_t *)osip_malloc(sizeof(osip_event_t));
    if (event == NULL) return NULL;
    event->type = evt_set_type_incoming_sipmessage(sip);
    event->transactionid = 0;
    event->sip = sip;
    return event;
}

/* Transaction timers: Swift can read the deadlines to shorten them in tests. */
static inline int cosip2_transaction_state(const osip_transaction_t *tr) { return (int)tr->state; }
static inline int cosip2_transaction_type(const osip_transaction_t *tr) { return (int)tr->ctx_type; }

#endif
