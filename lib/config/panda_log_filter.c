/*  panda_log_filter.c - log_level as aquadoggo reads it. See
    panda_log_filter.h.                                                    */
#include "panda_log_filter.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const panda_log_modules[PANDA_LOG_MODULE_COUNT] = {"api",     "ingest",      "verify",
                                                               "storage", "materialize", "replicate"};

//  aquadoggo's module names for the same parts, and libp2p's: its
//  networking is what the replicate actor does here.
static const struct {
    const char *name;
    int module;
} s_aliases[] = {
    {"http", 0},        {"graphql", 0}, {"db", 3},     {"materializer", 4},
    {"replication", 5}, {"network", 5}, {"libp2p", 5},
};

//  Names of the whole node: aquadoggo's crates and ours.
static const char *const s_node_names[] = {"", "aquadoggo", "aquadoggo_cli", "pandad"};

static const char *const s_levels[] = {"off", "error", "warn", "info", "debug", "trace"};

static int
s_level (const char *text, size_t len)
{
    for (size_t i = 0; i < sizeof s_levels / sizeof s_levels[0]; i++)
        if (strlen (s_levels[i]) == len && strncasecmp (text, s_levels[i], len) == 0)
            return (int) i;
    return -1;
}

static bool
s_is (const char *name, size_t len, const char *what)
{
    return strlen (what) == len && strncmp (name, what, len) == 0;
}

//  -2: the whole node; 0..: a module; -1: no counterpart in pandad.
static int
s_resolve (const char *name, size_t len)
{
    static const char *const prefixes[] = {"aquadoggo::", "pandad::"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (len > strlen (prefixes[i]) && strncmp (name, prefixes[i], strlen (prefixes[i])) == 0) {
            name += strlen (prefixes[i]);
            len -= strlen (prefixes[i]);
            const char *sep = memchr (name, ':', len);
            if (sep)
                len = (size_t) (sep - name);
            break;
        }
    for (size_t i = 0; i < sizeof s_node_names / sizeof s_node_names[0]; i++)
        if (s_is (name, len, s_node_names[i]))
            return -2;
    for (int m = 0; m < PANDA_LOG_MODULE_COUNT; m++)
        if (s_is (name, len, panda_log_modules[m]))
            return m;
    for (size_t i = 0; i < sizeof s_aliases / sizeof s_aliases[0]; i++)
        if (s_is (name, len, s_aliases[i].name))
            return s_aliases[i].module;
    return -1;
}

static void
s_trim (const char **text, size_t *len)
{
    while (*len && isspace ((unsigned char) **text))
        (*text)++, (*len)--;
    while (*len && isspace ((unsigned char) (*text)[*len - 1]))
        (*len)--;
}

static panda_err_t
s_directive (panda_log_filter_t *f, const char *text, size_t len, bool *any, panda_error_t *err)
{
    s_trim (&text, &len);
    if (!len)
        return PANDA_OK; //  "a,,b" and a trailing comma, as env_logger
    *any = true;
    const char *eq = memchr (text, '=', len);
    int level, target;
    if (!eq) {
        level = s_level (text, len);
        if (level >= 0) { //  a bare level: the whole node
            f->node = (panda_log_level_t) level;
            return PANDA_OK;
        }
        level = PANDA_LOG_TRACE; //  a bare module: everything it logs
        //  A bare word that is not ours either is more likely a misspelt
        //  level than another program's module.
        if ((target = s_resolve (text, len)) == -1)
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "'%.*s' is neither a level (off, error, warn, info, debug, trace) nor a "
                                    "module of pandad (aquadoggo, pandad, api, ingest, verify, storage, "
                                    "materialize, replicate, ...)",
                                    (int) len, text);
    } else {
        const char *name = text, *value = eq + 1;
        size_t name_len = (size_t) (eq - text), value_len = len - name_len - 1;
        s_trim (&name, &name_len);
        s_trim (&value, &value_len);
        level = s_level (value, value_len);
        if (level < 0 || memchr (value, '=', value_len))
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "invalid directive '%.*s': expected MODULE=LEVEL with LEVEL off, error, "
                                    "warn, info, debug or trace",
                                    (int) len, text);
        target = s_resolve (name, name_len);
        text = name, len = name_len;
    }
    if (target == -2)
        f->node = (panda_log_level_t) level;
    else if (target >= 0)
        f->module[target] = level;
    else {
        size_t used = strlen (f->ignored);
        int n = snprintf (f->ignored + used, sizeof f->ignored - used, "%s%.*s", used ? ", " : "", (int) len,
                          text);
        if (n < 0 || (size_t) n >= sizeof f->ignored - used)
            return panda_error_set (err, PANDA_ERR_INVALID, "too many module names pandad does not have");
    }
    return PANDA_OK;
}

panda_err_t
panda_log_filter_parse (const char *spec, panda_log_filter_t *filter, panda_error_t *err)
{
    panda_log_filter_t f = {.node = PANDA_LOG_OFF};
    for (int m = 0; m < PANDA_LOG_MODULE_COUNT; m++)
        f.module[m] = -1;
    const char *slash = strchr (spec, '/');
    size_t mods_len = slash ? (size_t) (slash - spec) : strlen (spec);
    if (slash) {
        if (strchr (slash + 1, '/'))
            return panda_error_set (err, PANDA_ERR_INVALID, "invalid filter '%s': more than one '/'", spec);
        if (strlen (slash + 1) >= sizeof f.contains)
            return panda_error_set (err, PANDA_ERR_INVALID, "the text after '/' is longer than %zu bytes",
                                    sizeof f.contains - 1);
        strcpy (f.contains, slash + 1);
    }
    bool any = false;
    for (const char *p = spec; p <= spec + mods_len;) {
        const char *comma = memchr (p, ',', (size_t) (spec + mods_len - p));
        const char *end = comma ? comma : spec + mods_len;
        if (s_directive (&f, p, (size_t) (end - p), &any, err) != PANDA_OK)
            return err->code;
        p = end + 1;
    }
    if (!any)
        f.node = PANDA_LOG_ERROR; //  env_logger's default without directives
    *filter = f;
    return PANDA_OK;
}

int
panda_log_filter_module (const char *name)
{
    for (int m = 0; m < PANDA_LOG_MODULE_COUNT; m++) {
        size_t len = strlen (panda_log_modules[m]);
        //  verify workers log as "verify-N"
        if (strncmp (name, panda_log_modules[m], len) == 0 && (name[len] == '\0' || name[len] == '-'))
            return m;
    }
    return -1;
}

panda_log_level_t
panda_log_filter_level (const panda_log_filter_t *filter, const char *name)
{
    int m = panda_log_filter_module (name);
    return m >= 0 && filter->module[m] >= 0 ? (panda_log_level_t) filter->module[m] : filter->node;
}

panda_log_level_t
panda_log_filter_max (const panda_log_filter_t *filter)
{
    panda_log_level_t max = filter->node;
    for (int m = 0; m < PANDA_LOG_MODULE_COUNT; m++)
        if (filter->module[m] > (int) max)
            max = (panda_log_level_t) filter->module[m];
    return max;
}
