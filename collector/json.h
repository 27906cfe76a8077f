/* jansson for the collector: AWS JSON 1.1 error bodies and small field readers. */
#ifndef IA_COLLECTOR_JSON_H
#define IA_COLLECTOR_JSON_H

#include <stddef.h>

/*
 * Recognise an AWS JSON error body ({"__type": "...#Code", "message": "..."}).
 * Returns 1 and fills code/message (truncated to capacity), or 0.
 */
int ia_json_aws_error(const char *body, size_t len, char *code, size_t code_cap, char *message,
                      size_t message_cap);

#endif
