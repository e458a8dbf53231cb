/*  panda.h - the p2panda client library: keys, hashes, Bamboo entries and
    logs, operations and their JSON form, schemas, documents. One include
    for an application that signs and reads p2panda data; what it declares
    is lib/core alone (the panda CLI links only that). The installed
    libpanda (pkg-config panda) holds the whole node as well: an application
    that runs a node in its own process includes panda_node.h too.        */
#ifndef PANDA_H_INCLUDED
#define PANDA_H_INCLUDED

#include "panda/panda_err.h"
#include "panda/panda_blake3.h"
#include "panda/panda_hash.h"
#include "panda/panda_hex.h"
#include "panda/panda_varu64.h"
#include "panda/panda_lipmaa.h"
#include "panda/panda_keypair.h"
#include "panda/panda_entry.h"
#include "panda/panda_log_writer.h"
#include "panda/panda_value.h"
#include "panda/panda_schema_id.h"
#include "panda/panda_schema.h"
#include "panda/panda_operation.h"
#include "panda/panda_operation_json.h"
#include "panda/panda_view_id.h"
#include "panda/panda_document.h"

#endif
