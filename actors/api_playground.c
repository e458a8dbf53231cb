/*  api_playground.c - the GraphQL IDE served at GET /graphql (node-api
    §1.4): GraphiQL, loaded from a CDN by the browser, posting to /graphql.
    Its documentation explorer runs on the node's introspection.          */
#include "api.h"

const char panda_api_playground_html[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "  <meta charset=\"utf-8\">\n"
    "  <title>pandad GraphQL</title>\n"
    "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "  <link rel=\"stylesheet\" href=\"https://unpkg.com/graphiql@3/graphiql.min.css\">\n"
    "  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>\n"
    "</head>\n"
    "<body>\n"
    "  <div id=\"graphiql\">Loading GraphiQL (needs access to unpkg.com)...</div>\n"
    "  <script crossorigin src=\"https://unpkg.com/react@18/umd/react.production.min.js\"></script>\n"
    "  <script crossorigin src=\"https://unpkg.com/react-dom@18/umd/react-dom.production.min.js\"></script>\n"
    "  <script crossorigin src=\"https://unpkg.com/graphiql@3/graphiql.min.js\"></script>\n"
    "  <script>\n"
    "    const fetcher = GraphiQL.createFetcher({ url: window.location.origin + '/graphql' });\n"
    "    ReactDOM.createRoot(document.getElementById('graphiql'))\n"
    "      .render(React.createElement(GraphiQL, { fetcher: fetcher }));\n"
    "  </script>\n"
    "</body>\n"
    "</html>\n";
