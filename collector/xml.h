/*
 * The only door to libxml2. AWS Query responses are parsed with network access,
 * entity substitution and DTD loading off; a document carrying a DTD is refused.
 * Nothing of libxml2's types or memory escapes: nodes are opaque, text is copied.
 */
#ifndef IA_COLLECTOR_XML_H
#define IA_COLLECTOR_XML_H

#include <stddef.h>

#include "core/err.h"

struct ia_xml_doc;
struct ia_xml_node;

#define IA_XML_MAX_BYTES ((size_t)64 << 20)

/* Once, before threads start. */
void ia_xml_global_init(void);
void ia_xml_global_cleanup(void);

/*
 * Parse data into *out (new: free with ia_xml_free). IA_ERR_PARSE with libxml2's
 * message (line and column) for malformed input; IA_ERR_INVALID for a DTD or entity
 * declarations; IA_ERR_TOO_LARGE over IA_XML_MAX_BYTES.
 */
IA_MUST_USE enum ia_code ia_xml_parse(const char *data, size_t len, struct ia_xml_doc **out,
                                      struct ia_err *err);
void ia_xml_free(struct ia_xml_doc *doc);

/* Navigation. All nodes are borrowed from their document; NULL when absent. */
const struct ia_xml_node *ia_xml_root(const struct ia_xml_doc *doc);
/* First element child whose local name is name (any element if name is NULL). */
const struct ia_xml_node *ia_xml_child(const struct ia_xml_node *n, const char *name);
/* Next element sibling with that local name (any if NULL). */
const struct ia_xml_node *ia_xml_next(const struct ia_xml_node *n, const char *name);
/* Follow a '/'-separated path of child names, e.g. "ListRolesResult/Roles". */
const struct ia_xml_node *ia_xml_path(const struct ia_xml_node *n, const char *path);
/* First descendant element (depth first, n excluded) with that local name. */
const struct ia_xml_node *ia_xml_find(const struct ia_xml_node *n, const char *name);
/* Local name of the element (borrowed). */
const char *ia_xml_name(const struct ia_xml_node *n);

/* Text content of n (new: free()); NULL when n is NULL. */
char *ia_xml_text(const struct ia_xml_node *n);
/* Text of the child at path under n (new: free()), or NULL when that child is absent. */
char *ia_xml_path_text(const struct ia_xml_node *n, const char *path);
/* Copy the text at path into out (truncated to cap-1); "" when absent. Returns out. */
char *ia_xml_path_copy(const struct ia_xml_node *n, const char *path, char *out, size_t cap);

/*
 * Recognise an AWS error document in either shape (<ErrorResponse><Error>... with or
 * without a namespace, or moto's <ErrorResponse><Errors><Error>...). On success
 * returns 1 and fills code, message, type ("Sender"/"Receiver") and request id
 * (each truncated to its capacity); returns 0 when body is not an error document.
 */
int ia_xml_aws_error(const char *body, size_t len, char *code, size_t code_cap, char *message,
                     size_t message_cap, char *type, size_t type_cap, char *request_id,
                     size_t request_id_cap);

#endif
