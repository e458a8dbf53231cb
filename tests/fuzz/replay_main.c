/*  replay_main.c - runs a libFuzzer target over a corpus directory.

    Without PANDA_FUZZ, every tests/fuzz/fuzz_<name>.c links with this main
    and becomes a ctest that feeds each file of tests/corpus/fuzz_<name>/ to
    LLVMFuzzerTestOneInput, so every input that once crashed stays a test.  */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char *argv[])
{
    if (argc != 2) {
        fprintf (stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *dir = opendir (argv[1]);
    if (!dir) {
        fprintf (stderr, "%s: cannot open corpus %s\n", argv[0], argv[1]);
        return 1;
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir (dir))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen (path, "rb");
        if (!f)
            continue;
        fseek (f, 0, SEEK_END);
        long size = ftell (f);
        fseek (f, 0, SEEK_SET);
        uint8_t *data = malloc (size > 0 ? (size_t)size : 1);
        size_t got = size > 0 ? fread (data, 1, (size_t)size, f) : 0;
        fclose (f);
        LLVMFuzzerTestOneInput (data, got);
        free (data);
        files++;
    }
    closedir (dir);
    printf ("%s: replayed %d inputs\n", argv[0], files);
    return files > 0 ? 0 : 1; //  an empty corpus is a broken test
}
