/*  api_assets.h - files embedded into the node at build time
    (cmake/EmbedAssets.cmake writes their table from third_party/graphiql).
    Served at GET /graphql/assets/<sha256>/<name> by api_assets.c.        */
#ifndef PANDA_API_ASSETS_H_INCLUDED
#define PANDA_API_ASSETS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *name; //  path under third_party/graphiql, e.g. "react/LICENSE"
    const char *sha256; //  hex of the bytes: their URL and ETag
    const char *content_type;
    const unsigned char *bytes, *end;
    const unsigned char *gzip, *gzip_end; //  the same, gzip -9
} panda_api_asset_t;

extern const panda_api_asset_t panda_api_assets[];
extern const size_t panda_api_assets_count;

//  The asset named name (e.g. "react/LICENSE") or NULL.
const panda_api_asset_t *panda_api_asset (const char *name);

//  Its URL, relative to the page at /graphql, into out.
void panda_api_asset_url (const panda_api_asset_t *asset, char *out, size_t size);

//  True if path is under /graphql/assets/.
bool panda_api_is_asset_path (const char *path);

//  GET|HEAD of such a path; returns the HTTP status.
struct mg_connection;
int panda_api_assets_serve (struct mg_connection *conn, const char *path);

#endif
