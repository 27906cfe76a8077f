/*
 * libFuzzer target for the libxml2 wrapper (collector/xml.c): every AWS response body goes
 * through ia_xml_parse, and every error body through ia_xml_aws_error. The input is the
 * body, unterminated. A parsed document is walked completely (depth bounded) with every
 * accessor; the error recogniser runs with roomy and with tiny buffers, and each output
 * must be NUL-terminated within its capacity. An input that opens with a DTD must be
 * refused (the XXE and billion-laughs seeds check it in every build).
 * Seeds: tests/fuzz/corpus/xml/.
 *
 *   tests/fuzz/run.sh 30     (or: cmake -DIA_FUZZ=ON with clang; build-fuzz/tests/fuzz/fuzz_xml)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/xml.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int s_ready;

static void
walk(const struct ia_xml_node *n, int depth, size_t *count)
{
    for (const struct ia_xml_node *c = ia_xml_child(n, NULL); c && *count < 100000;
         c = ia_xml_next(c, NULL)) {
        const char *name = ia_xml_name(c);
        IA_ASSERT(name != NULL);
        (*count)++;
        char *t = ia_xml_text(c);
        IA_ASSERT(t != NULL);
        free(t);
        IA_ASSERT(ia_xml_child(n, name) != NULL); /* found by its own name */
        if (depth < 64)
            walk(c, depth + 1, count);
    }
}

static void
error_into(const char *body, size_t len, size_t cap)
{
    char code[96], msg[512], type[32], reqid[96];
    size_t c1 = cap < sizeof(code) ? cap : sizeof(code), c2 = cap < sizeof(msg) ? cap : sizeof(msg);
    size_t c3 = cap < sizeof(type) ? cap : sizeof(type),
           c4 = cap < sizeof(reqid) ? cap : sizeof(reqid);

    memset(code, 'X', sizeof(code));
    memset(msg, 'X', sizeof(msg));
    memset(type, 'X', sizeof(type));
    memset(reqid, 'X', sizeof(reqid));
    if (ia_xml_aws_error(body, len, code, c1, msg, c2, type, c3, reqid, c4)) {
        IA_ASSERT(memchr(code, '\0', c1) && memchr(msg, '\0', c2));
        IA_ASSERT(memchr(type, '\0', c3) && memchr(reqid, '\0', c4));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ia_xml_doc *doc = NULL;
    struct ia_err err;
    size_t count = 0;
    char small[16];

    if (!s_ready) {
        ia_xml_global_init();
        s_ready = 1;
    }
    memset(&err, 0, sizeof(err));
    enum ia_code rc = ia_xml_parse((const char *)data, size, &doc, &err);
    /* A document that opens with a DTD (external entities, billion laughs) is never read. */
    static const char dtd[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE ";
    if (size >= sizeof(dtd) - 1 && memcmp(data, dtd, sizeof(dtd) - 1) == 0)
        IA_ASSERT(rc != IA_OK);
    if (rc == IA_OK) {
        const struct ia_xml_node *root = ia_xml_root(doc);
        IA_ASSERT(root != NULL);
        walk(root, 0, &count);
        (void)ia_xml_find(root, "Code");
        char *t = ia_xml_path_text(root, "ListRolesResult/Roles");
        free(t);
        (void)ia_xml_path(root, "Error/Code");
        ia_xml_path_copy(root, "ResponseMetadata/RequestId", small, sizeof(small));
        IA_ASSERT(memchr(small, '\0', sizeof(small)) != NULL);
        ia_xml_free(doc);
    } else {
        IA_ASSERT(err.code != IA_OK && err.msg[0] && memchr(err.msg, '\0', sizeof(err.msg)));
    }
    error_into((const char *)data, size, 512);
    error_into((const char *)data, size, 1);
    error_into((const char *)data, size, 3);
    return 0;
}
