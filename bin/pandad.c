/*  pandad.c - the p2panda node. Until the pipeline lands it prints its
    version and exits.                                                      */
#include <stdio.h>
#include <string.h>

int
main (int argc, char *argv[])
{
    if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
        printf ("usage: pandad [--version]\n");
        return 0;
    }
    printf ("pandad %s\n", PANDA_VERSION);
    return 0;
}
