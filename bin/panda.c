/*  panda.c - the p2panda client CLI.                                       */
#include <stdio.h>

int
main (int argc, char *argv[])
{
    printf ("panda %s\n", PANDA_VERSION);
    return 0;
}
