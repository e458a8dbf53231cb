/*  bench_query.c - latency of the query engine (panda_query) on views
    databases of a realistic schema, filled with direct SQL in big
    transactions (the materialiser is not involved), built once per run in
    a temporary file:

      artists {country: str, name: str}
      lines   {line: str}
      songs   {artist: relation(artists), lyrics: relation_list(lines),
               rating: float, title: str, year: int}

    Cases (p50 / p99 over S_ITERATIONS requests, each its own read
    transaction, as the api runs them):
      a  all_songs(filter: {year: {gte: Y, lt: Y + 10}}, orderBy: rating,
         orderDirection: DESC, first: 25), fields title year rating
      a2 the same, second page (after: endCursor of the first)
      b  all_songs(first: 25, orderBy: title) { artist { name }
         lyrics(first: 5) { line } }: a page, one batched relation, 25 lists
      c  totalCount of all_songs(filter: {year: {eq: Y}})
      c2 totalCount of all_songs

    usage: bench_query [--docs N]... (default: 100000 and 1000000)        */
#include "bench_util.h"
#include "panda/panda_hash.h"
#include "panda_query.h"
#include "panda_views.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define S_ITERATIONS 300
#define S_WARMUP 5 //  first requests of each case, not recorded (cold caches)
#define S_LYRICS 3 //  list items per song
#define S_LINES 10000
#define S_YEARS 74 //  1950 .. 2023
#define S_SID_ARTISTS "artists_0020aa00000000000000000000000000000000000000000000000000000000000000"
#define S_SID_LINES "lines_0020bb00000000000000000000000000000000000000000000000000000000000000"
#define S_SID_SONGS "songs_0020cc00000000000000000000000000000000000000000000000000000000000000"

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *doc, *view, *field;
    int64_t ids[8]; //  schema_fields ids
    uint64_t rng;
} s_fill_t;

static uint32_t
s_rand (s_fill_t *f, uint32_t n)
{
    f->rng ^= f->rng << 13, f->rng ^= f->rng >> 7, f->rng ^= f->rng << 17;
    return (uint32_t) (f->rng % n);
}

static void
s_check (int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        fprintf (stderr, "bench_query: %s: %s\n", what, sqlite3_errmsg (db));
        exit (1);
    }
}

static void
s_id (const char *kind, uint64_t n, panda_hash_t *id)
{
    char seed[64];
    int len = snprintf (seed, sizeof seed, "%s %llu", kind, (unsigned long long) n);
    panda_hash_compute (id, seed, (size_t) len);
}

//  documents + views rows of a one-CREATE document; returns views.id.
static int64_t
s_doc (s_fill_t *f, const char *schema, const panda_hash_t *id)
{
    static const uint8_t owner[32] = {0x2f, 0x8e, 0x50};
    char hex[PANDA_HASH_HEX_SIZE + 1];
    sqlite3_bind_blob (f->doc, 1, id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_text (f->doc, 2, schema, -1, SQLITE_STATIC);
    sqlite3_bind_blob (f->doc, 3, owner, 32, SQLITE_STATIC);
    s_check (sqlite3_step (f->doc), f->db, "document");
    sqlite3_reset (f->doc);
    int64_t doc = sqlite3_last_insert_rowid (f->db);
    sqlite3_bind_int64 (f->view, 1, doc);
    sqlite3_bind_text (f->view, 2, panda_hash_to_hex (id, hex), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (f->view, 3, doc);
    s_check (sqlite3_step (f->view), f->db, "view");
    sqlite3_reset (f->view);
    return doc; //  views.id = documents.id by construction
}

//  One fields row; value bound by the caller at parameter 4.
static void
s_field (s_fill_t *f, int64_t view, int which, const char *name, int idx, const panda_hash_t *writer)
{
    uint8_t cursor[32];
    panda_views_row_cursor ((uint64_t) idx, name, writer, cursor);
    sqlite3_bind_int64 (f->field, 1, view);
    sqlite3_bind_int64 (f->field, 2, f->ids[which]);
    sqlite3_bind_int (f->field, 3, idx);
    sqlite3_bind_blob (f->field, 5, writer->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_blob (f->field, 6, cursor, 32, SQLITE_TRANSIENT);
    s_check (sqlite3_step (f->field), f->db, "field");
    sqlite3_reset (f->field);
}

static const char *const s_words[] = {"love", "night", "Dance", "blue", "Heart", "fire",  "rain", "gold",
                                      "Road", "dream", "city",  "sky",  "Sun",   "river", "home", "wild"};

static void
s_fill (panda_views_t *views, const char *sids[3], size_t docs)
{
    s_fill_t f = {.db = panda_views_db (views), .rng = 88172645463325252ull};
    static const char *const names[][2] = {{"artists", "country"}, {"artists", "name"}, {"lines", "line"},
                                           {"songs", "artist"},    {"songs", "lyrics"}, {"songs", "rating"},
                                           {"songs", "title"},     {"songs", "year"}};
    panda_error_t err;
    for (int i = 0; i < 8; i++) {
        const char *sid = sids[names[i][0][0] == 'a' ? 0 : names[i][0][0] == 'l' ? 1 : 2];
        if (panda_views_field_id (views, sid, names[i][1], &f.ids[i], &err) != PANDA_OK)
            s_check (SQLITE_ERROR, f.db, err.message);
    }
    s_check (sqlite3_prepare_v2 (
                 f.db, "INSERT INTO documents (document_id, schema, owner, view) VALUES (?1, ?2, ?3, NULL)",
                 -1, &f.doc, NULL),
             f.db, "prepare");
    s_check (sqlite3_prepare_v2 (f.db, "INSERT INTO views (id, document, view_id) VALUES (?3, ?1, ?2)", -1,
                                 &f.view, NULL),
             f.db, "prepare");
    s_check (
        sqlite3_prepare_v2 (f.db, "INSERT INTO fields VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &f.field, NULL),
        f.db, "prepare");
    sqlite3_exec (f.db, "PRAGMA synchronous = OFF; BEGIN", NULL, NULL, NULL);
    size_t artists = docs / 100 + 1;
    char text[128];
    panda_hash_t id;
    for (size_t a = 0; a < artists; a++) {
        s_id ("artist", a, &id);
        int64_t v = s_doc (&f, sids[0], &id);
        snprintf (text, sizeof text, "%s %s %zu", s_words[s_rand (&f, 16)], s_words[s_rand (&f, 16)], a);
        sqlite3_bind_text (f.field, 4, text, -1, SQLITE_TRANSIENT);
        s_field (&f, v, 1, "name", 0, &id);
        sqlite3_bind_text (f.field, 4, s_words[s_rand (&f, 16)], -1, SQLITE_STATIC);
        s_field (&f, v, 0, "country", 0, &id);
    }
    for (size_t l = 0; l < S_LINES; l++) {
        s_id ("line", l, &id);
        int64_t v = s_doc (&f, sids[1], &id);
        snprintf (text, sizeof text, "the %s of %s, line %zu", s_words[s_rand (&f, 16)],
                  s_words[s_rand (&f, 16)], l);
        sqlite3_bind_text (f.field, 4, text, -1, SQLITE_TRANSIENT);
        s_field (&f, v, 2, "line", 0, &id);
    }
    for (size_t s = 0; s < docs; s++) {
        s_id ("song", s, &id);
        int64_t v = s_doc (&f, sids[2], &id);
        panda_hash_t target;
        s_id ("artist", s_rand (&f, (uint32_t) artists), &target);
        sqlite3_bind_blob (f.field, 4, target.bytes, PANDA_HASH_SIZE, SQLITE_TRANSIENT);
        s_field (&f, v, 3, "artist", 0, &id);
        for (int i = 0; i < S_LYRICS; i++) {
            s_id ("line", s_rand (&f, S_LINES), &target);
            sqlite3_bind_blob (f.field, 4, target.bytes, PANDA_HASH_SIZE, SQLITE_TRANSIENT);
            s_field (&f, v, 4, "lyrics", i, &id);
        }
        sqlite3_bind_double (f.field, 4, s_rand (&f, 100001) / 1000.0);
        s_field (&f, v, 5, "rating", 0, &id);
        snprintf (text, sizeof text, "%s %s %zu", s_words[s_rand (&f, 16)], s_words[s_rand (&f, 16)], s);
        sqlite3_bind_text (f.field, 4, text, -1, SQLITE_TRANSIENT);
        s_field (&f, v, 6, "title", 0, &id);
        sqlite3_bind_int (f.field, 4, 1950 + (int) s_rand (&f, S_YEARS));
        s_field (&f, v, 7, "year", 0, &id);
        if (s % 100000 == 99999)
            sqlite3_exec (f.db, "COMMIT; BEGIN", NULL, NULL, NULL);
    }
    s_check (sqlite3_exec (f.db, "UPDATE documents SET view = id; COMMIT", NULL, NULL, NULL), f.db, "commit");
    sqlite3_finalize (f.doc);
    sqlite3_finalize (f.view);
    sqlite3_finalize (f.field);
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void
s_report (const char *name, size_t docs, double *us, size_t n, size_t checksum)
{
    qsort (us, n, sizeof *us, s_cmp);
    printf ("%-4s %8zu docs: p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms  (n=%zu, check %zu)\n", name, docs,
            us[n / 2] / 1000, us[n * 99 / 100] / 1000, us[n - 1] / 1000, n, checksum);
}

static panda_query_page_t *
s_page (panda_query_t *q, const char *sid, const char *args_json, const char *const *sel, size_t n)
{
    json_t *args = json_loads (args_json, 0, NULL);
    panda_error_t err;
    panda_query_page_t *page = NULL;
    if (panda_query_collection (q, sid, args, sel, n, &page, &err) != PANDA_OK) {
        fprintf (stderr, "bench_query: %s: %s\n", args_json, err.message);
        exit (1);
    }
    json_decref (args);
    return page;
}

static void
s_cases (const char *path, const char *const sids[3], size_t docs)
{
    panda_error_t err;
    panda_query_t *q = panda_query_new (path, 0, 0, &err);
    if (!q)
        s_check (SQLITE_ERROR, NULL, err.message);
    static double us[S_ITERATIONS];
    static const char *const sel[] = {"title", "year", "rating"};
    char args[512];
    uint64_t rng = 7;
    size_t check = 0;
    for (int which = 0; which < 5; which++) {
        check = 0;
        for (size_t i = 0; i < S_ITERATIONS + S_WARMUP; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            int year = 1950 + (int) ((rng >> 33) % (S_YEARS - 10));
            snprintf (args, sizeof args,
                      "{\"filter\":{\"year\":{\"gte\":%d,\"lt\":%d}},\"orderBy\":\"rating\","
                      "\"orderDirection\":\"DESC\","
                      "\"first\":25}",
                      year, year + 10);
            panda_query_page_t *first = NULL;
            if (which == 1) { //  the second page: its cursor comes from an untimed first page
                if (panda_query_begin (q, &err) != PANDA_OK)
                    exit (1);
                first = s_page (q, sids[2], args, sel, 3);
                snprintf (args + strlen (args) - 1, sizeof args - strlen (args) + 1, ",\"after\":\"%s\"}",
                          panda_query_page_end_cursor (first));
                panda_query_end (q);
            }
            uint64_t t0 = bench_now_ns ();
            if (panda_query_begin (q, &err) != PANDA_OK)
                exit (1);
            if (which <= 1) {
                panda_query_page_t *page = s_page (q, sids[2], args, sel, 3);
                check += panda_query_page_count (page);
                panda_query_page_unref (&page);
            } else if (which == 2) {
                panda_query_page_t *page =
                    s_page (q, sids[2], "{\"first\":25,\"orderBy\":\"title\"}", sel, 3);
                for (size_t k = 0; k < panda_query_page_count (page); k++) {
                    panda_query_page_t *artist = NULL, *lyrics = NULL;
                    size_t at;
                    json_t *la = json_pack ("{s:i}", "first", 5);
                    static const char *const line[] = {"line"};
                    if (panda_query_relation (q, page, k, "artist", &artist, &at, &err) != PANDA_OK ||
                        panda_query_list (q, page, k, "lyrics", la, line, 1, &lyrics, &err) != PANDA_OK)
                        s_check (SQLITE_ERROR, NULL, err.message);
                    check += (artist != NULL) + panda_query_page_count (lyrics);
                    json_decref (la);
                    panda_query_page_unref (&lyrics);
                }
                panda_query_page_unref (&page);
            } else {
                snprintf (args, sizeof args, which == 3 ? "{\"filter\":{\"year\":{\"eq\":%d}}}" : "{}", year);
                panda_query_page_t *page = s_page (q, sids[2], args, sel, 3);
                int64_t total = 0;
                if (panda_query_page_total (q, page, &total, &err) != PANDA_OK)
                    s_check (SQLITE_ERROR, NULL, err.message);
                check += (size_t) total;
                panda_query_page_unref (&page);
            }
            panda_query_end (q);
            if (i >= S_WARMUP)
                us[i - S_WARMUP] = (double) (bench_now_ns () - t0) / 1000.0;
            panda_query_page_unref (&first);
        }
        static const char *const names[] = {"a", "a2", "b", "c", "c2"};
        s_report (names[which], docs, us, S_ITERATIONS, check);
    }
    panda_query_destroy (&q);
}

static void
s_run (size_t docs)
{
    //  BENCH_QUERY_KEEP=1: keep the database (/tmp/bench_query_<docs>) and
    //  reuse it in the next run (for looking at query plans).
    bool keep = getenv ("BENCH_QUERY_KEEP") != NULL;
    char path[64];
    snprintf (path, sizeof path, keep ? "/tmp/bench_query_%zu" : "/tmp/bench_query_XXXXXX", docs);
    if (keep && access (path, F_OK) == 0) {
        s_cases (path, (const char *[3]){S_SID_ARTISTS, S_SID_LINES, S_SID_SONGS}, docs);
        return;
    }
    int fd = keep ? open (path, O_CREAT | O_WRONLY, 0600) : mkstemp (path);
    if (fd < 0)
        exit (1);
    close (fd);
    panda_error_t err;
    panda_views_t *views = panda_views_open (path, false, &err);
    if (!views)
        s_check (SQLITE_ERROR, NULL, err.message);
    const char *sids[3] = {S_SID_ARTISTS, S_SID_LINES, S_SID_SONGS};
    char types[3][200];
    snprintf (types[0], sizeof types[0], "relation(%s)", sids[0]);
    snprintf (types[1], sizeof types[1], "relation_list(%s)", sids[1]);
    static const char *const fields[3][5][2] = {
        {{"country", "str"}, {"name", "str"}},
        {{"line", "str"}},
        {{"artist", NULL}, {"lyrics", NULL}, {"rating", "float"}, {"title", "str"}, {"year", "int"}}};
    static const size_t counts[3] = {2, 1, 5};
    for (int s = 0; s < 3; s++) {
        panda_schema_t *schema = panda_schema_new (sids[s],
                                                   s == 0   ? "artists"
                                                   : s == 1 ? "lines"
                                                            : "songs",
                                                   "bench", &err);
        for (size_t f = 0; schema && f < counts[s]; f++)
            if (panda_schema_add_field (schema, fields[s][f][0], fields[s][f][1] ? fields[s][f][1] : types[f],
                                        &err) != PANDA_OK)
                s_check (SQLITE_ERROR, NULL, err.message);
        panda_hash_t def;
        panda_hash_compute (&def, sids[s], strlen (sids[s]));
        if (!schema || panda_views_schema_put (views, schema, &def, &err) != PANDA_OK)
            s_check (SQLITE_ERROR, NULL, err.message);
        panda_schema_destroy (&schema);
    }
    uint64_t t0 = bench_now_ns ();
    s_fill (views, sids, docs);
    printf ("built %zu songs in %.1f s\n", docs, (double) (bench_now_ns () - t0) / 1e9);
    panda_views_destroy (&views);
    s_cases (path, sids, docs);
    if (keep)
        return;
    unlink (path);
    char side[PATH_MAX];
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
}

int
main (int argc, char **argv)
{
    size_t sizes[8], n = 0;
    for (int i = 1; i + 1 < argc && n < 8; i += 2)
        if (strcmp (argv[i], "--docs") == 0)
            sizes[n++] = (size_t) strtoull (argv[i + 1], NULL, 10);
    if (n == 0)
        sizes[n++] = 100000, sizes[n++] = 1000000;
    for (size_t i = 0; i < n; i++)
        s_run (sizes[i]);
    return 0;
}
