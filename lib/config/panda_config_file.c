/*  panda_config_file.c - which config file is read, reading it, and ~ and
    $HOME in path values.

    aquadoggo's example config.toml writes paths with $HOME
    ("sqlite:$HOME/.local/share/aquadoggo/db.sqlite3"), and aquadoggo reads
    the config file of the user's XDG directory. See panda_config.h for the
    order of sources.                                                      */
#include "panda_config_int.h"
#include "panda_toml.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

//  Largest config file read (a config.toml is a few kB).
#define S_FILE_MAX (1 << 20)

const char *
panda_config_env (char **envp, const char *name)
{
    size_t len = strlen (name);
    for (char **e = envp; e && *e; e++)
        if (strncmp (*e, name, len) == 0 && (*e)[len] == '=' && (*e)[len + 1])
            return *e + len + 1;
    return NULL;
}

char *
panda_config_expand (const char *path, char **envp, const char *what, panda_error_t *err)
{
    const char *home = panda_config_env (envp, "HOME");
    size_t home_len = home ? strlen (home) : 0, len = strlen (path);
    //  Each ~ or $HOME grows by at most home_len.
    size_t cap = len + 1, uses = 0;
    for (const char *p = path; (p = strchr (p, '$')); p++)
        uses++;
    cap += (uses + 1) * home_len;
    char *out = malloc (cap);
    if (!out)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory"), NULL;
    size_t n = 0;
    bool needs_home = false;
    for (size_t i = 0; i < len;) {
        size_t skip = 0;
        if (i == 0 && path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
            skip = 1;
        else if (strncmp (path + i, "$HOME", 5) == 0 &&
                 !(path[i + 5] == '_' || isalnum ((unsigned char) path[i + 5])))
            skip = 5;
        else if (strncmp (path + i, "${HOME}", 7) == 0)
            skip = 7;
        if (!skip) {
            out[n++] = path[i++];
            continue;
        }
        needs_home = true;
        if (home) {
            memcpy (out + n, home, home_len);
            n += home_len;
        }
        i += skip;
    }
    out[n] = '\0';
    if (needs_home && !home) {
        free (out);
        return panda_error_set (err, PANDA_ERR_INVALID, "%s: '%s' uses ~ or $HOME, but HOME is not set", what,
                                path),
               NULL;
    }
    return out;
}

panda_err_t
panda_config_expand_paths (panda_config_t *self, char **envp, panda_error_t *err)
{
    struct {
        char **value;
        const char *key;
        size_t prefix; //  bytes kept as they are ("sqlite:")
    } paths[] = {{&self->data_dir, "data_dir", 0},
                 {&self->database_url, "database_url", 7},
                 {&self->blobs_base_path, "blobs_base_path", 0},
                 {&self->private_key, "private_key", 0}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *value = *paths[i].value;
        if (!value || strlen (value) < paths[i].prefix ||
            (paths[i].prefix && strncmp (value, "sqlite:", paths[i].prefix) != 0))
            continue; //  database_url's other forms are refused later
        char *expanded = panda_config_expand (value + paths[i].prefix, envp, paths[i].key, err);
        if (!expanded)
            return err ? err->code : PANDA_ERR_INVALID;
        char *whole = malloc (paths[i].prefix + strlen (expanded) + 1);
        if (!whole) {
            free (expanded);
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        }
        memcpy (whole, value, paths[i].prefix);
        strcpy (whole + paths[i].prefix, expanded);
        free (expanded);
        free (value);
        *paths[i].value = whole;
    }
    return PANDA_OK;
}

static char *
s_read_file (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc (cap);
    size_t got;
    while (buf && (got = fread (buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = cap < S_FILE_MAX ? realloc (buf, cap *= 2) : NULL;
            if (!bigger) {
                free (buf);
                buf = NULL;
            } else
                buf = bigger;
        }
    }
    fclose (f);
    *len = n;
    return buf;
}

static panda_err_t
s_load_file (panda_config_t *self, const char *path, panda_error_t *err)
{
    size_t len;
    char *text = s_read_file (path, &len);
    if (!text)
        return panda_error_set (err, PANDA_ERR_IO, "%s: cannot read config file: %s", path, strerror (errno));
    panda_error_t toml_err;
    json_t *root = panda_toml_parse (text, len, &toml_err);
    free (text);
    if (!root)
        return panda_error_set (err, PANDA_ERR_INVALID, "%s: %s", path, toml_err.message);
    panda_err_t rc = PANDA_OK;
    const char *key;
    json_t *value;
    json_object_foreach (root, key, value)
    {
        const setting_t *s = panda_config_find_key (self, key, strlen (key), path);
        if (!s) {
            rc = panda_error_set (err, PANDA_ERR_INVALID, "%s: unknown key '%s'", path, key);
            break;
        }
        if ((rc = panda_config_apply_json (self, s, value, path, err)))
            break;
    }
    json_decref (root);
    return rc;
}

//  The config file to read: --config/-c, else $CONFIG, else ./config.toml,
//  else $XDG_CONFIG_HOME/pandad/config.toml (~/.config when unset), the
//  first that exists, as aquadoggo looks in the current and its XDG
//  directory. A named file that is missing is an error (aquadoggo's rule).
//  Caller frees; NULL with *named false: no file.
static char *
s_config_path (int argc, char **argv, char **envp, bool *named)
{
    *named = true;
    for (int i = 1; i < argc; i++) {
        if ((strcmp (argv[i], "-c") == 0 || strcmp (argv[i], "--config") == 0) && i + 1 < argc)
            return strdup (argv[i + 1]);
        if (strncmp (argv[i], "--config=", 9) == 0)
            return strdup (argv[i] + 9);
    }
    for (char **e = envp; e && *e; e++)
        if (strncasecmp (*e, "CONFIG=", 7) == 0 && (*e)[7])
            return strdup (*e + 7);
    *named = false;
    if (access ("config.toml", R_OK) == 0)
        return strdup ("config.toml");
    const char *xdg = panda_config_env (envp, "XDG_CONFIG_HOME"), *home = panda_config_env (envp, "HOME");
    char path[4096];
    if (xdg)
        snprintf (path, sizeof path, "%s/pandad/config.toml", xdg);
    else if (home)
        snprintf (path, sizeof path, "%s/.config/pandad/config.toml", home);
    else
        return NULL;
    return access (path, R_OK) == 0 ? strdup (path) : NULL;
}

panda_err_t
panda_config_load_file (panda_config_t *self, int argc, char **argv, char **envp, panda_error_t *err)
{
    bool named;
    char *given = s_config_path (argc, argv, envp, &named);
    if (!given)
        return PANDA_OK;
    char *path = panda_config_expand (given, envp, "config", err);
    free (given);
    if (!path)
        return err ? err->code : PANDA_ERR_INVALID;
    panda_err_t rc = PANDA_OK;
    if (named && access (path, R_OK) != 0)
        rc = panda_error_set (err, PANDA_ERR_INVALID, "config file '%s' does not exist", path);
    else if ((rc = s_load_file (self, path, err)) == PANDA_OK)
        self->config_path = path, path = NULL;
    free (path);
    return rc;
}
