/*  pandad_summary.h - what pandad prints at start (pandad_summary.c).     */
#ifndef PANDAD_SUMMARY_H_INCLUDED
#define PANDAD_SUMMARY_H_INCLUDED

#include "panda/panda_node.h"

//  One block: version, data directory, configuration file, database files
//  and blobs path, allowed schemas, the URLs the API is reachable at,
//  peer id and replication address. Shown whatever log_level says
//  (panda_log_key). node may be NULL (before it started): the files only.
void pandad_summary (const panda_config_t *config, const panda_node_t *node);

#endif
