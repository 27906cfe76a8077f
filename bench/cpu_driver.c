/*
 * bench/cpu_driver.c: a tiny driver for bench/cpu.sh, run under valgrind --tool=callgrind.
 *
 *   cpu_driver sign N         sign N IAM requests as collector/aws.c does (session token,
 *                             through a SigV4 key cache; sign-uncached N: without one,
 *                             form body of a paged ListRoles), with collector/sigv4.h
 *   cpu_driver parse FILE N   parse FILE (a captured response page) N times with
 *                             collector/xml.h and walk every member as the collector does
 *
 * cpu.sh runs each with two values of N and divides the difference in instructions by the
 * difference in N, so start-up and library initialisation cancel out. Not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sigv4.h"
#include "collector/xml.h"
#include "core/buf.h"
#include "core/err.h"

static long
count_arg(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*end || n < 0 || n > 100000000) {
        fprintf(stderr, "cpu_driver: bad count '%s'\n", s);
        exit(64);
    }
    return n;
}

static int
sign(long n, int cached)
{
    static const char token[] =
        "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDbench0token0of0a0realistic0"
        "length0for0an0assumed0role0session0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    static const char body[] =
        "Action=ListRoles&Version=2010-05-08&MaxItems=1000&Marker="
        "AAEAAAbenchmarkmarkerQmFzZTY0IGVuY29kZWQgbWFya2VyIG9mIGEgcGFnZWQgbGlzdA%3D%3D";
    struct ia_sigv4_header h[] = {
        { "Host", "iam.amazonaws.com" },
        { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
        { "X-Amz-Date", "20261127T020001Z" },
        { "X-Amz-Security-Token", token },
    };
    struct ia_sigv4_request req = { "POST", "/", NULL, h, 4, body, sizeof(body) - 1, 1 };
    struct ia_sigv4_key_cache cache;
    struct ia_sigv4_params p = { .access_key_id = "ASIAEXAMPLEBENCHKEY1",
                                 .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 .region = "us-east-1",
                                 .service = "iam",
                                 .when = 1795744801,
                                 .cache = cached ? &cache : NULL };
    ia_sigv4_key_cache_init(&cache);
    struct ia_buf authz = IA_BUF_INIT, creq = IA_BUF_INIT, sts = IA_BUF_INIT;
    unsigned long check = 0;
    for (long i = 0; i < n; i++) {
        struct ia_err err;
        ia_err_clear(&err);
        ia_buf_reset(&authz);
        ia_buf_reset(&creq);
        ia_buf_reset(&sts);
        if (ia_sigv4_authorization(&req, &p, &authz, &creq, &sts, &err) != IA_OK) {
            fprintf(stderr, "cpu_driver: sign: %s\n", err.msg);
            return 1;
        }
        check += (unsigned char)authz.buf[authz.len - 1];
    }
    printf("signed %ld requests (%s) %lu\n", n, n ? authz.buf + authz.len - 16 : "", check);
    ia_buf_release(&authz);
    ia_buf_release(&creq);
    ia_buf_release(&sts);
    ia_sigv4_key_cache_release(&cache);
    return 0;
}

/* Every member of every list under the result element, and each member's name field. */
static size_t
walk(const struct ia_xml_node *n)
{
    static const char *const lists[] = { "UserDetailList",   "GroupDetailList", "RoleDetailList",
                                         "Policies",         "Roles",           "Users",
                                         "VirtualMFADevices" };
    static const char *const names[] = { "UserName", "GroupName", "RoleName",    "PolicyName",
                                         "RoleName", "UserName",  "SerialNumber" };
    size_t members = 0;
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(n, lists[l]), "member"); m;
             m = ia_xml_next(m, "member")) {
            char name[256];
            ia_xml_path_copy(m, names[l], name, sizeof(name));
            char *doc = ia_xml_path_text(m, "AssumeRolePolicyDocument");
            free(doc);
            members++;
        }
    }
    return members;
}

static int
parse(const char *path, long n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    struct ia_buf b = IA_BUF_INIT;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ia_buf_add(&b, chunk, got);
    fclose(f);
    ia_xml_global_init();
    size_t members = 0;
    for (long i = 0; i < n; i++) {
        struct ia_xml_doc *doc = NULL;
        struct ia_err err;
        ia_err_clear(&err);
        if (ia_xml_parse(b.buf, b.len, &doc, &err) != IA_OK) {
            fprintf(stderr, "cpu_driver: parse: %s\n", err.msg);
            return 1;
        }
        const struct ia_xml_node *root = ia_xml_root(doc);
        const struct ia_xml_node *result = NULL;
        for (const struct ia_xml_node *c = ia_xml_child(root, NULL); c && !result;
             c = ia_xml_next(c, NULL)) {
            const char *nm = ia_xml_name(c);
            if (nm && strlen(nm) > 6 && strcmp(nm + strlen(nm) - 6, "Result") == 0)
                result = c;
        }
        members = walk(result);
        ia_xml_free(doc);
    }
    printf("parsed %ld pages of %zu bytes, %zu members each\n", n, b.len, members);
    ia_buf_release(&b);
    ia_xml_global_cleanup();
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "sign") == 0)
        return sign(count_arg(argv[2]), 1);
    if (argc == 3 && strcmp(argv[1], "sign-uncached") == 0)
        return sign(count_arg(argv[2]), 0);
    if (argc == 4 && strcmp(argv[1], "parse") == 0)
        return parse(argv[2], count_arg(argv[3]));
    fprintf(stderr, "usage: cpu_driver sign|sign-uncached N | cpu_driver parse FILE N\n");
    return 64;
}
