/*  api_assets.c - GET|HEAD /graphql/assets/<sha256>/<name>: the IDE's
    scripts, style sheet and licences, from the binary (api_assets.h).

    The URL holds the file's hash, so an answer never changes: browsers
    keep it a year without asking again (immutable), and a new build with
    other files has other URLs. gzip goes to clients that accept it (the
    IDE's script shrinks from 3.5 MB to about 0.7 MB).                    */
#include "api.h"
#include "api_assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PREFIX "/graphql/assets/"

const panda_api_asset_t *
panda_api_asset (const char *name)
{
    for (size_t i = 0; i < panda_api_assets_count; i++)
        if (strcmp (panda_api_assets[i].name, name) == 0)
            return &panda_api_assets[i];
    return NULL;
}

void
panda_api_asset_url (const panda_api_asset_t *asset, char *out, size_t size)
{
    //  relative to /graphql: also right behind a proxy that adds a prefix
    snprintf (out, size, "graphql/assets/%.16s/%s", asset->sha256, asset->name);
}

bool
panda_api_is_asset_path (const char *path)
{
    return strncmp (path, S_PREFIX, strlen (S_PREFIX)) == 0;
}

//  True if the client's Accept-Encoding names gzip (without q=0).
static bool
s_accepts_gzip (struct mg_connection *conn)
{
    const char *accept = mg_get_header (conn, "Accept-Encoding");
    const char *gzip = accept ? strstr (accept, "gzip") : NULL;
    if (!gzip)
        return false;
    const char *q = strstr (gzip, "q=");
    const char *comma = strchr (gzip, ',');
    return !(q && (!comma || q < comma) && strtod (q + 2, NULL) <= 0);
}

int
panda_api_assets_serve (struct mg_connection *conn, const char *path)
{
    const char *rest = path + strlen (S_PREFIX), *slash = strchr (rest, '/');
    const panda_api_asset_t *asset = slash ? panda_api_asset (slash + 1) : NULL;
    if (!asset || slash - rest != 16 || strncmp (rest, asset->sha256, 16) != 0) {
        panda_api_respond (conn, 404, NULL, NULL, 0, NULL);
        return 404;
    }
    char headers[512], etag[24];
    snprintf (etag, sizeof etag, "\"%.16s\"", asset->sha256);
    bool gzip = s_accepts_gzip (conn);
    snprintf (headers, sizeof headers,
              "Cache-Control: public, max-age=31536000, immutable\r\n"
              "ETag: %s\r\n"
              "Vary: Accept-Encoding\r\n"
              "X-Content-Type-Options: nosniff\r\n%s",
              etag, gzip ? "Content-Encoding: gzip\r\n" : "");
    const char *match = mg_get_header (conn, "If-None-Match");
    if (match && strstr (match, etag)) {
        //  No Content-Length: in a 304 it would stand for the 200's body.
        mg_printf (conn, "HTTP/1.1 304 Not Modified\r\n" PANDA_API_CORS "%s\r\n", headers);
        return 304;
    }
    const unsigned char *bytes = gzip ? asset->gzip : asset->bytes,
                        *end = gzip ? asset->gzip_end : asset->end;
    panda_api_respond (conn, 200, asset->content_type, (const char *) bytes, (size_t) (end - bytes), headers);
    return 200;
}
