/*  panda_config_print.c - the settings table as text: --help,
    --print-config (a config.toml), and which of aquadoggo's accepted but
    unused keys were set. See panda_config.h.                                */
#include "panda_config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  True when setting s has the same value in a and b.
static bool
s_same (const panda_config_t *a, const panda_config_t *b, const setting_t *s)
{
    const void *x = (const char *) a + s->offset, *y = (const char *) b + s->offset;
    switch (s->type) {
        case T_PORT: return *(const uint16_t *) x == *(const uint16_t *) y;
        case T_UINT: return *(const uint32_t *) x == *(const uint32_t *) y;
        case T_BOOL: return *(const bool *) x == *(const bool *) y;
        case T_LEVEL:
        case T_STRING:
        case T_TRANSPORT:
        case T_PSK: {
            const char *p = *(char *const *) x, *q = *(char *const *) y;
            return p == q || (p && q && strcmp (p, q) == 0);
        }
        case T_STAR_LIST:
            if (*(const bool *) ((const char *) a + s->star_offset) !=
                *(const bool *) ((const char *) b + s->star_offset))
                return false;
            //  fall through
        case T_LIST: {
            const panda_strlist_t *p = x, *q = y;
            if (p->count != q->count)
                return false;
            for (size_t i = 0; i < p->count; i++)
                if (strcmp (p->items[i], q->items[i]) != 0)
                    return false;
            return true;
        }
    }
    return true;
}

size_t
panda_config_set_without_effect (const panda_config_t *self, const char **keys, size_t max)
{
    panda_config_t *defaults = panda_config_new ();
    size_t count = 0;
    for (size_t i = 0; defaults && i < panda_config_settings_count; i++)
        if (panda_config_no_effect (panda_config_settings[i].key) &&
            !s_same (self, defaults, &panda_config_settings[i]) && count < max)
            keys[count++] = panda_config_settings[i].key;
    panda_config_destroy (&defaults);
    return count;
}

void
panda_config_print_help (FILE *out)
{
    fprintf (out, "usage: pandad [options]\n\n"
                  "Options (also config.toml keys and upper-case environment variables):\n");
    for (size_t i = 0; i < panda_config_settings_count; i++) {
        const setting_t *s = &panda_config_settings[i];
        char flags[96], name[64];
        snprintf (name, sizeof name, "%s", s->key);
        for (char *p = name; *p; p++)
            if (*p == '_')
                *p = '-';
        if (s->flag)
            snprintf (flags, sizeof flags, "-%c, --%s <%s>", s->flag, name, s->value_name);
        else
            snprintf (flags, sizeof flags, "    --%s <%s>", name, s->value_name);
        const char *no_effect = panda_config_no_effect (s->key);
        fprintf (out, "  %-46s %s%s%s%s%s%s%s\n", flags, s->help,
                 no_effect ? " (accepted for aquadoggo config files; no effect: " : "",
                 no_effect ? no_effect : "", no_effect ? ")" : "", s->fallback ? " [default: " : "",
                 s->fallback ? (*s->fallback ? s->fallback : "none") : "", s->fallback ? "]" : "");
    }
    fprintf (out, "  %-46s %s\n", "-c, --config <PATH>",
             "config file (default: ./config.toml, else $XDG_CONFIG_HOME/pandad/config.toml or "
             "~/.config/pandad/config.toml, if present); path values may use ~ and $HOME");
    fprintf (out, "  %-46s %s\n", "    --print-config", "print the effective configuration and exit");
    fprintf (out, "  %-46s %s\n", "-h, --help", "this help");
    fprintf (out, "  %-46s %s\n", "-V, --version", "print the version");
}

static void
s_print_string (FILE *out, const char *text)
{
    fputc ('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc ('\\', out);
        fputc (*p, out);
    }
    fputc ('"', out);
}

void
panda_config_print (const panda_config_t *self, FILE *out)
{
    for (size_t i = 0; i < panda_config_settings_count; i++) {
        const setting_t *s = &panda_config_settings[i];
        const void *field = (const char *) self + s->offset;
        switch (s->type) {
            case T_PORT: fprintf (out, "%s = %u\n", s->key, *(const uint16_t *) field); break;
            case T_UINT: fprintf (out, "%s = %u\n", s->key, *(const uint32_t *) field); break;
            case T_BOOL: fprintf (out, "%s = %s\n", s->key, *(const bool *) field ? "true" : "false"); break;
            case T_LEVEL:
            case T_STRING:
            case T_TRANSPORT:
            case T_PSK:
                if (*(char *const *) field) {
                    fprintf (out, "%s = ", s->key);
                    s_print_string (out, *(char *const *) field);
                    fputc ('\n', out);
                } else
                    fprintf (out, "# %s is not set\n", s->key);
                break;
            case T_LIST:
            case T_STAR_LIST: {
                const panda_strlist_t *list = field;
                if (s->type == T_STAR_LIST && *(const bool *) ((const char *) self + s->star_offset)) {
                    fprintf (out, "%s = \"*\"\n", s->key);
                    break;
                }
                fprintf (out, "%s = [", s->key);
                for (size_t k = 0; k < list->count; k++) {
                    fputs (k ? ", " : "", out);
                    s_print_string (out, list->items[k]);
                }
                fprintf (out, "]\n");
            }
        }
    }
}
