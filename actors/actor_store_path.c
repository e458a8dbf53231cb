/*  actor_store_path.c - where a node's databases are.                     */
#include "panda_actors.h"

#include "panda_views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
panda_actor_store_path (const panda_config_t *config)
{
    const char *path = config->database_url + strlen ("sqlite:");
    if (strncmp (path, "//", 2) == 0) //  sqlx also accepts sqlite://PATH
        path += 2;
    if (strcmp (path, ":memory:") != 0)
        return strdup (path);
    //  A private in-memory database per connection would leave the
    //  materialiser and the api blind to storage's data: memdb shares one
    //  by name ("/" prefix) among the connections of this process.
    char *uri = malloc (96);
    if (uri)
        snprintf (uri, 96, "file:/pandad-%p?vfs=memdb", (const void *) config);
    return uri;
}

char *
panda_actor_views_path (const panda_config_t *config)
{
    char *store = panda_actor_store_path (config);
    char *views = store ? panda_views_path (store) : NULL;
    free (store);
    return views;
}
