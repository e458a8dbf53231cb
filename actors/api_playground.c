/*  api_playground.c - the GraphQL IDE served at GET /graphql (node-api
    §1.4): GraphiQL with React, both from the binary (api_assets.c), so the
    IDE works without the internet. It posts to the URL it was loaded from;
    its documentation explorer runs on the node's introspection.

    Asset URLs are relative (graphql/assets/...), so the page also works
    behind a reverse proxy that serves the node under a path prefix.     */
#include "api.h"
#include "api_assets.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static char s_page[4096];
static size_t s_page_len;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_build (void)
{
    static const char *names[] = {"graphiql/graphiql.min.css",
                                  "react/react.production.min.js",
                                  "react-dom/react-dom.production.min.js",
                                  "graphiql/graphiql.min.js",
                                  "graphiql/LICENSE",
                                  "react/LICENSE",
                                  "react-dom/LICENSE"};
    char url[7][192];
    for (size_t i = 0; i < 7; i++) {
        const panda_api_asset_t *asset = panda_api_asset (names[i]);
        if (asset)
            panda_api_asset_url (asset, url[i], sizeof url[i]);
        else
            snprintf (url[i], sizeof url[i], "graphql/assets/missing/%s", names[i]);
    }
    int n = snprintf (s_page, sizeof s_page,
                      "<!DOCTYPE html>\n"
                      "<html lang=\"en\">\n"
                      "<head>\n"
                      "  <meta charset=\"utf-8\">\n"
                      "  <title>pandad GraphQL</title>\n"
                      "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "  <link rel=\"stylesheet\" href=\"%s\">\n"
                      "  <link rel=\"license\" href=\"%s\" title=\"GraphiQL (MIT)\">\n"
                      "  <link rel=\"license\" href=\"%s\" title=\"React (MIT)\">\n"
                      "  <link rel=\"license\" href=\"%s\" title=\"React DOM (MIT)\">\n"
                      "  <style>html, body, #graphiql { height: 100%%; margin: 0; }</style>\n"
                      "</head>\n"
                      "<body>\n"
                      "  <div id=\"graphiql\">Loading GraphiQL...</div>\n"
                      "  <script src=\"%s\"></script>\n"
                      "  <script src=\"%s\"></script>\n"
                      "  <script src=\"%s\"></script>\n"
                      "  <script>\n"
                      "    const url = window.location.href.split(/[?#]/)[0];\n"
                      "    const fetcher = GraphiQL.createFetcher({ url: url });\n"
                      "    ReactDOM.createRoot(document.getElementById('graphiql'))\n"
                      "      .render(React.createElement(GraphiQL, { fetcher: fetcher }));\n"
                      "  </script>\n"
                      "</body>\n"
                      "</html>\n",
                      url[0], url[4], url[5], url[6], url[1], url[2], url[3]);
    s_page_len = n > 0 && (size_t) n < sizeof s_page ? (size_t) n : 0;
}

const char *
panda_api_playground (size_t *len)
{
    pthread_once (&s_once, s_build);
    *len = s_page_len;
    return s_page;
}
