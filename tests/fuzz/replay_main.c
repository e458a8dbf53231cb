/*  replay_main.c - runs a libFuzzer target over a corpus directory.

    Without PANDA_FUZZ, every tests/fuzz/fuzz_<name>.c links with this main
    and becomes a ctest that feeds each file of tests/corpus/fuzz_<name>/ to
    LLVMFuzzerTestOneInput, so every input that once crashed stays a test.

    Each input runs on a thread with the smallest stack a server thread
    has: civetweb's request workers, 102400 bytes as Debian builds it
    (PANDA_GQL_WORKER_STACK in actors/api.c; actor threads get the
    default, megabytes). A decoder that recursed too deep for the server
    fails here too, instead of passing on the test's 8 MiB main stack.   */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PANDA_FUZZ_STACK
#define PANDA_FUZZ_STACK 102400
#endif

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *data;
    size_t size;
} s_input_t;

static void *
s_run (void *arg)
{
    s_input_t *input = arg;
    LLVMFuzzerTestOneInput (input->data, input->size);
    return NULL;
}

//  One input on a thread with the server's stack size; 0, or -1 if the
//  thread could not be made.
static int
s_replay (const uint8_t *data, size_t size)
{
    pthread_attr_t attr;
    pthread_t thread;
    s_input_t input = {data, size};
    if (pthread_attr_init (&attr) || pthread_attr_setstacksize (&attr, PANDA_FUZZ_STACK))
        return -1;
    int rc = pthread_create (&thread, &attr, s_run, &input);
    pthread_attr_destroy (&attr);
    return rc == 0 && pthread_join (thread, NULL) == 0 ? 0 : -1;
}

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
        uint8_t *data = malloc (size > 0 ? (size_t) size : 1);
        size_t got = size > 0 ? fread (data, 1, (size_t) size, f) : 0;
        fclose (f);
        if (s_replay (data, got)) {
            fprintf (stderr, "%s: cannot start a thread for %s\n", argv[0], path);
            free (data);
            closedir (dir);
            return 1;
        }
        free (data);
        files++;
    }
    closedir (dir);
    printf ("%s: replayed %d inputs on a %d-byte stack\n", argv[0], files, PANDA_FUZZ_STACK);
    return files > 0 ? 0 : 1; //  an empty corpus is a broken test
}
