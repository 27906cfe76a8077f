#include "collector/xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct ia_xml_doc {
    xmlDocPtr doc;
};

void
ia_xml_global_init(void)
{
    xmlInitParser();
}

void
ia_xml_global_cleanup(void)
{
    xmlCleanupParser();
}

static const struct ia_xml_node *
wrap(xmlNodePtr n)
{
    return (const struct ia_xml_node *)n;
}

static xmlNodePtr
unwrap(const struct ia_xml_node *n)
{
    return (xmlNodePtr)n;
}

enum ia_code
ia_xml_parse(const char *data, size_t len, struct ia_xml_doc **out, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_PARSE;
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;

    if (len > IA_XML_MAX_BYTES || len > (size_t)INT32_MAX)
        return ia_err_set(err, IA_ERR_TOO_LARGE, "XML document of %zu bytes is over the limit",
                          len);
    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        IA_BUG("xmlNewParserCtxt failed");
    /*
     * No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR, no network,
     * no messages on stderr: errors are read from the context into err instead.
     */
    doc = xmlCtxtReadMemory(ctxt, data, (int)len, "response.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS);
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char msg[256] = "empty document";
        if (e && e->message) {
            size_t n = strnlen(e->message, sizeof(msg) - 1);
            memcpy(msg, e->message, n);
            msg[n] = '\0';
            while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
        }
        ia_err_set(err, IA_ERR_PARSE, "malformed XML (line %d, column %d): %s", e ? e->line : 0,
                   e ? e->int2 : 0, msg);
        goto out;
    }
    if (doc->intSubset || doc->extSubset) {
        ia_err_set(err, IA_ERR_INVALID,
                   "XML document carries a DTD; AWS responses never do, so it is refused");
        goto out;
    }
    if (!xmlDocGetRootElement(doc)) {
        ia_err_set(err, IA_ERR_PARSE, "XML document has no root element");
        goto out;
    }
    *out = ia_xcalloc(1, sizeof(**out));
    (*out)->doc = doc;
    doc = NULL;
    rc = IA_OK;
out:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return rc;
}

void
ia_xml_free(struct ia_xml_doc *doc)
{
    if (!doc)
        return;
    xmlFreeDoc(doc->doc);
    free(doc);
}

const struct ia_xml_node *
ia_xml_root(const struct ia_xml_doc *doc)
{
    return doc ? wrap(xmlDocGetRootElement(doc->doc)) : NULL;
}

static int
is_named(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && (!name || strcmp((const char *)n->name, name) == 0);
}

const struct ia_xml_node *
ia_xml_child(const struct ia_xml_node *node, const char *name)
{
    if (!node)
        return NULL;
    for (xmlNodePtr c = unwrap(node)->children; c; c = c->next)
        if (is_named(c, name))
            return wrap(c);
    return NULL;
}

const struct ia_xml_node *
ia_xml_next(const struct ia_xml_node *node, const char *name)
{
    if (!node)
        return NULL;
    for (xmlNodePtr c = unwrap(node)->next; c; c = c->next)
        if (is_named(c, name))
            return wrap(c);
    return NULL;
}

const struct ia_xml_node *
ia_xml_path(const struct ia_xml_node *n, const char *path)
{
    char part[128];
    while (n && *path) {
        const char *slash = strchr(path, '/');
        size_t len = slash ? (size_t)(slash - path) : strlen(path);
        IA_ASSERT(len < sizeof(part));
        memcpy(part, path, len);
        part[len] = '\0';
        n = ia_xml_child(n, part);
        path += len + (slash ? 1 : 0);
    }
    return n;
}

const struct ia_xml_node *
ia_xml_find(const struct ia_xml_node *node, const char *name)
{
    if (!node)
        return NULL;
    /* Iterative depth-first walk: no recursion on untrusted nesting depth. */
    xmlNodePtr top = unwrap(node), c = top->children;
    while (c && c != top) {
        if (is_named(c, name))
            return wrap(c);
        if (c->children && c->type == XML_ELEMENT_NODE) {
            c = c->children;
            continue;
        }
        while (c != top && !c->next)
            c = c->parent;
        if (c == top)
            break;
        c = c->next;
    }
    return NULL;
}

const char *
ia_xml_name(const struct ia_xml_node *n)
{
    return n ? (const char *)unwrap(n)->name : NULL;
}

char *
ia_xml_text(const struct ia_xml_node *n)
{
    if (!n)
        return NULL;
    xmlChar *t = xmlNodeGetContent(unwrap(n));
    char *s = ia_xstrdup(t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

char *
ia_xml_path_text(const struct ia_xml_node *n, const char *path)
{
    return ia_xml_text(ia_xml_path(n, path));
}

char *
ia_xml_path_copy(const struct ia_xml_node *n, const char *path, char *out, size_t cap)
{
    char *t = ia_xml_path_text(n, path);
    size_t len = t ? strnlen(t, cap - 1) : 0;
    if (t)
        memcpy(out, t, len);
    out[len] = '\0';
    free(t);
    return out;
}

int
ia_xml_aws_error(const char *body, size_t len, char *code, size_t code_cap, char *message,
                 size_t message_cap, char *type, size_t type_cap, char *request_id,
                 size_t request_id_cap)
{
    struct ia_xml_doc *doc = NULL;
    int found = 0;

    if (ia_xml_parse(body, len, &doc, NULL) != IA_OK)
        return 0;
    const struct ia_xml_node *root = ia_xml_root(doc);
    const struct ia_xml_node *e = ia_xml_find(root, "Error");
    if (strcmp(ia_xml_name(root), "Error") == 0)
        e = root;
    if (e && ia_xml_child(e, "Code")) {
        ia_xml_path_copy(e, "Code", code, code_cap);
        ia_xml_path_copy(e, "Message", message, message_cap);
        ia_xml_path_copy(e, "Type", type, type_cap);
        ia_xml_path_copy(root, "RequestId", request_id, request_id_cap);
        if (!request_id[0])
            ia_xml_path_copy(root, "RequestID", request_id, request_id_cap);
        found = code[0] != '\0';
    }
    ia_xml_free(doc);
    return found;
}
