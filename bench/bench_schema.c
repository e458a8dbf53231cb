/*  bench_schema.c - schema validation throughput.

    Case 1: decode the all-types vector_item CREATE (the reference valid
    operation of invalid.json, built in here as bytes) - the baseline.
    Case 2: decode + validate it against vector_item. Case 3: parse a
    relation field type string. --size N sets iterations per run.          */
#include "bench_util.h"
#include "panda/panda_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 7

static const char *s_item_id =
    "vector_item_002071098b86ef93d33c02275b922f43e0815d0e9f211900ab9ba987d3527734a33f";
static const char *s_tag = "vector_tag_002097d3a1a0f3425d2909274d3b1bb3eba84047fac3f2392456ee4fede400e5ba2f";
static const char *s_operation_hex =
    "8401007850766563746f725f6974656d5f30303230373130393862383665663933643333633032323735623932326634336530"
    "38313564306539663231313930306162396261393837643335323737333461333366a965636f756e740165636f7665725822"
    "00207305aad34b46f68bcebf809de07de873a680c9ff403de518c17bcc17bd155edd64646f6e65f467686973746f72798181"
    "582200203d39088e7c0bbfa5aa7e39abbdfc77fc1abbc2210bc8ecdb6a9634441561f8bf677061796c6f61644201026a7069"
    "6e6e65645f74616781582200203d39088e7c0bbfa5aa7e39abbdfc77fc1abbc2210bc8ecdb6a9634441561f8bf6572617469"
    "6ff9380064746167738158220020d341c4b1e86745c8ada1620a588da26df5c24ce713db9e8abf78489d2cdafac265746974"
    "6c65626f6b";

static panda_schema_t *
s_item_schema (void)
{
    char type[200];
    panda_schema_t *schema = panda_schema_new (s_item_id, "vector_item", "", NULL);
    const char *plain[][2] = {{"count", "int"},   {"cover", "relation(blob_v1)"},
                              {"done", "bool"},   {"payload", "bytes"},
                              {"ratio", "float"}, {"title", "str"}};
    for (size_t i = 0; schema && i < 6; i++)
        if (panda_schema_add_field (schema, plain[i][0], plain[i][1], NULL) != PANDA_OK)
            abort ();
    const char *lists[][2] = {
        {"history", "pinned_relation_list"}, {"pinned_tag", "pinned_relation"}, {"tags", "relation_list"}};
    for (size_t i = 0; schema && i < 3; i++) {
        snprintf (type, sizeof type, "%s(%s)", lists[i][1], s_tag);
        if (panda_schema_add_field (schema, lists[i][0], type, NULL) != PANDA_OK)
            abort ();
    }
    return schema;
}

int
main (int argc, char *argv[])
{
    long size = 200000;
    if (argc == 3 && strcmp (argv[1], "--size") == 0)
        size = atol (argv[2]);
    size_t len = strlen (s_operation_hex) / 2;
    uint8_t *bytes = malloc (len);
    for (size_t i = 0; i < len; i++)
        sscanf (s_operation_hex + 2 * i, "%2hhx", &bytes[i]);
    panda_schema_t *schema = s_item_schema ();
    if (!schema)
        return 1;
    char relation[200];
    snprintf (relation, sizeof relation, "pinned_relation_list(%s)", s_tag);
    double rates[3][RUNS];
    unsigned long checksum = 0;
    for (int run = 0; run < RUNS; run++)
        for (int c = 0; c < 3; c++) {
            uint64_t start = bench_now_ns ();
            for (long i = 0; i < size; i++) {
                if (c == 2) {
                    panda_field_kind_t kind;
                    size_t offset, target;
                    checksum +=
                        panda_field_type_parse (relation, strlen (relation), &kind, &offset, &target, NULL) +
                        target;
                    continue;
                }
                panda_operation_t *operation = panda_operation_decode (bytes, len, NULL);
                if (!operation)
                    return 1;
                if (c == 1)
                    checksum += panda_schema_validate_operation (schema, operation, NULL) == PANDA_OK;
                panda_operation_destroy (&operation);
            }
            rates[c][run] = (double) size * 1e9 / (double) (bench_now_ns () - start);
        }
    double baseline = bench_median (rates[0], RUNS);
    bench_verify_baseline ();
    bench_report ("1", "decode vector_item CREATE", baseline, baseline);
    bench_report ("2", "decode + validate vector_item CREATE", bench_median (rates[1], RUNS), baseline);
    bench_report ("3", "parse pinned_relation_list(<app id>) type", bench_median (rates[2], RUNS), baseline);
    printf ("checksum %lu\n", checksum);
    panda_schema_destroy (&schema);
    free (bytes);
    return 0;
}
