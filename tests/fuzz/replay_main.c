/*
 * main() for the replay build of a fuzz target: runs LLVMFuzzerTestOneInput once on every
 * file named (directories are read one level deep, in name order), so the seed corpora
 * and any crash reproducer run in every build, with or without clang and libFuzzer.
 *   fuzz_replay_xml tests/fuzz/corpus/xml [FILE]...
 * Exit 0 when every input ran, 1 when a file could not be read; an input that breaks an
 * invariant aborts (IA_ASSERT), which ctest reports as a failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    do {
        if (len + 4096 > cap) {
            cap = (len + 4096) * 2;
            buf = ia_xrealloc(buf, cap);
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    /* An exact-size copy, so ASan sees any read past the end. */
    uint8_t *exact = ia_xmalloc(len ? len : 1);
    if (len)
        memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
    int bad = 0, done = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such file %s\n", argv[i]);
            bad = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad |= replay_file(argv[i]) != 0;
            done++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0;
        if (!d) {
            bad = 1;
            continue;
        }
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            names = ia_xrealloc(names, (n + 1) * sizeof(*names));
            size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;
            names[n] = ia_xmalloc(len);
            snprintf(names[n++], len, "%s/%s", argv[i], e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof(*names), by_name);
        for (size_t k = 0; k < n; k++) {
            bad |= replay_file(names[k]) != 0;
            done++;
            free(names[k]);
        }
        free(names);
    }
    printf("replayed %d inputs%s\n", done, bad ? " (some unreadable)" : "");
    return bad || done == 0;
}
