/*  test_repl_msg.c - replication messages: the node-api §9.2 hex vectors
    both ways, every decode error §9.2 lists, lenient LogId/SeqNum, pandad's
    extensions, batched frames and limits.                                   */
#include "panda_test.h"
#include "panda_repl_msg.h"

#define S_CHAT "chat_0020cf9cd48f79fa3d22267a0777a3fe01534732e62593a33af4fe375a66a850696a"
#define S_PK "3d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c11852"
#define S_THREE_IDS                                                                                          \
    "8374736368656d615f646566696e6974696f6e5f7631781a736368656d615f6669656c645f646566696e6974696f6e5f763178" \
    "49636861"                                                                                               \
    "745f30303230636639636434386637396661336432323236376130373737613366653031353334373332653632353933613333" \
    "61663466"                                                                                               \
    "653337356136366138353036393661"
#define S_ANNOUNCE "8400011a6553f100" S_THREE_IDS
#define S_SYNC_REQUEST "84010000" S_THREE_IDS
#define S_HAVE                                                                                               \
    "830a00818258203d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c1185283820001820101820202"
//  node-api §6.8, step 1.
#define S_ENTRY1                                                                                             \
    "003d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c11852000136002081b7328bc7e629597958a92f46" \
    "8c2f431d"                                                                                               \
    "97d5049bb5d8996548b5c6a3659476289c211eba576954c1868a40c723028143f835fbbb22f174c4174305376fbfd44b0b2b93" \
    "dcf3f006"                                                                                               \
    "c52a2b0c3e950bd9487781a154bf7e9d1cb6ad48a7000409"
#define S_OP1                                                                                                \
    "840100781a736368656d615f6669656c645f646566696e6974696f6e5f7631a2646e616d65676d657373616765647479706563" \
    "737472"

static const char *s_three[] = {"schema_definition_v1", "schema_field_definition_v1", S_CHAT};

static void
s_three_ids (panda_schema_set_t *set)
{
    panda_schema_set_init (set);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (panda_schema_set_add_text (set, s_three[i], strlen (s_three[i]), NULL), PANDA_OK);
}

//  Decode one whole message from hex; on success it must take every byte.
static panda_err_t
s_decode (const char *hex, panda_repl_msg_t *msg, const panda_repl_limits_t *limits, panda_error_t *err,
          uint8_t **bytes)
{
    size_t len, used = 0;
    *bytes = panda_test_unhex (hex, &len);
    panda_err_t rc = panda_repl_msg_decode (msg, *bytes, len, limits, &used, err);
    if (rc == PANDA_OK)
        assert_int_equal (used, len);
    else
        assert_int_equal (used, 0);
    return rc;
}

//  Encode msg alone and compare with hex.
static void
s_encodes_to (const panda_repl_msg_t *msg, const char *hex)
{
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    panda_error_t err;
    if (panda_repl_msg_encode (msg, &w, &err))
        fail_msg ("encode: %s", err.message);
    char *got = panda_test_hex (w.data, w.len);
    assert_string_equal (got, hex);
    free (got);
    panda_cbor_writer_free (&w);
}

//  Decoding hex fails with code and a message containing text.
static void
s_rejects (const char *hex, panda_err_t code, const char *text)
{
    panda_repl_msg_t msg;
    panda_error_t err;
    uint8_t *bytes;
    panda_err_t rc = s_decode (hex, &msg, NULL, &err, &bytes);
    if (rc == PANDA_OK)
        panda_repl_msg_clear (&msg);
    if (rc != code || (rc && !strstr (err.message, text)))
        fail_msg ("%s: got %d `%s`, expected %d `%s`", hex, rc, rc ? err.message : "", code, text);
    free (bytes);
}

static void
test_repl_vectors_decode (void **state)
{
    panda_repl_msg_t msg;
    panda_error_t err;
    uint8_t *bytes;
    panda_schema_set_t three;
    s_three_ids (&three);

    assert_int_equal (s_decode (S_ANNOUNCE, &msg, NULL, &err, &bytes), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_ANNOUNCE);
    assert_int_equal (msg.protocol_version, 1);
    assert_int_equal (msg.timestamp, 1700000000);
    assert_true (panda_schema_set_eq (&msg.schema_ids, &three));
    panda_repl_msg_clear (&msg);
    free (bytes);

    assert_int_equal (s_decode (S_SYNC_REQUEST, &msg, NULL, &err, &bytes), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_SYNC_REQUEST);
    assert_int_equal (msg.session_id, 0);
    assert_int_equal (msg.mode, PANDA_REPL_MODE_LOG_HEIGHT);
    assert_true (panda_schema_set_eq (&msg.schema_ids, &three));
    panda_repl_msg_clear (&msg);
    free (bytes);

    assert_int_equal (s_decode (S_HAVE, &msg, NULL, &err, &bytes), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_HAVE);
    assert_int_equal (msg.n_authors, 1);
    char *pk = panda_test_hex (msg.authors[0].public_key, 32);
    assert_string_equal (pk, S_PK);
    free (pk);
    assert_int_equal (msg.authors[0].n_logs, 3);
    const uint64_t heights[3][2] = {{0, 1}, {1, 1}, {2, 2}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal (msg.authors[0].logs[i].log_id, heights[i][0]);
        assert_int_equal (msg.authors[0].logs[i].seq_num, heights[i][1]);
    }
    panda_repl_msg_clear (&msg);
    free (bytes);

    assert_int_equal (s_decode ("830a0080", &msg, NULL, &err, &bytes), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_HAVE);
    assert_int_equal (msg.n_authors, 0);
    panda_repl_msg_clear (&msg);
    free (bytes);

    assert_int_equal (s_decode ("830300f4", &msg, NULL, &err, &bytes), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_SYNC_DONE);
    assert_false (msg.live_mode);
    panda_repl_msg_clear (&msg);
    free (bytes);

    assert_int_equal (s_decode ("8402005886" S_ENTRY1 "5836" S_OP1, &msg, NULL, &err, &bytes), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_ENTRY);
    assert_int_equal (msg.entry_len, 134);
    assert_int_equal (msg.operation_len, 54);
    char *hex = panda_test_hex (msg.entry, msg.entry_len);
    assert_string_equal (hex, S_ENTRY1);
    free (hex);
    hex = panda_test_hex (msg.operation, msg.operation_len);
    assert_string_equal (hex, S_OP1);
    free (hex);
    assert_true (msg.entry >= bytes && msg.operation < bytes + 200); //  borrowed from the frame
    panda_repl_msg_clear (&msg);
    free (bytes);

    assert_int_equal (s_decode ("840200410af6", &msg, NULL, &err, &bytes), PANDA_OK); //  operation null
    assert_null (msg.operation);
    assert_int_equal (msg.entry_len, 1);
    panda_repl_msg_clear (&msg);
    free (bytes);
    panda_schema_set_clear (&three);
}

static void
test_repl_vectors_encode (void **state)
{
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_ANNOUNCE;
    msg.protocol_version = PANDA_REPL_ANNOUNCE_VERSION;
    msg.timestamp = 1700000000;
    s_three_ids (&msg.schema_ids);
    s_encodes_to (&msg, S_ANNOUNCE);
    msg.type = PANDA_REPL_SYNC_REQUEST;
    msg.session_id = 0;
    msg.mode = PANDA_REPL_MODE_LOG_HEIGHT;
    s_encodes_to (&msg, S_SYNC_REQUEST);
    panda_repl_msg_clear (&msg);

    panda_repl_log_height_t logs[] = {{0, 1}, {1, 1}, {2, 2}};
    panda_repl_author_t author = {.logs = logs, .n_logs = 3};
    size_t len;
    uint8_t *pk = panda_test_unhex (S_PK, &len);
    memcpy (author.public_key, pk, 32);
    free (pk);
    panda_repl_msg_t have = {.type = PANDA_REPL_HAVE, .authors = &author, .n_authors = 1};
    s_encodes_to (&have, S_HAVE);
    have.n_authors = 0;
    s_encodes_to (&have, "830a0080");

    panda_repl_msg_t done = {.type = PANDA_REPL_SYNC_DONE};
    s_encodes_to (&done, "830300f4");

    size_t entry_len, op_len;
    uint8_t *entry = panda_test_unhex (S_ENTRY1, &entry_len), *op = panda_test_unhex (S_OP1, &op_len);
    panda_repl_msg_t msg_entry = {.type = PANDA_REPL_ENTRY,
                                  .entry = entry,
                                  .entry_len = entry_len,
                                  .operation = op,
                                  .operation_len = op_len};
    s_encodes_to (&msg_entry, "8402005886" S_ENTRY1 "5836" S_OP1);
    msg_entry.operation = NULL;
    s_encodes_to (&msg_entry, "8402005886" S_ENTRY1 "f6");
    free (entry);
    free (op);
}

//  Every decode error node-api §9.2 lists, with aquadoggo's messages.
static void
test_repl_decode_errors (void **state)
{
    s_rejects ("80", PANDA_ERR_DECODE, "invalid message type");
    s_rejects ("a0", PANDA_ERR_DECODE, "invalid type: map, expected p2panda message");
    s_rejects ("821863", PANDA_ERR_DECODE, "unknown message type"); //  truncated after the type: type wins
    s_rejects ("82186300", PANDA_ERR_DECODE, "unknown message type");
    s_rejects ("820b00", PANDA_ERR_DECODE, "unknown message type"); //  11: unused
    s_rejects ("821bffffffffffffffff00", PANDA_ERR_DECODE, "unknown message type");
    s_rejects ("826130", PANDA_ERR_DECODE, "expected u64 for message type");
    //  Missing fields, each in turn.
    s_rejects ("8100", PANDA_ERR_DECODE, "missing protocol version in announce message");
    s_rejects ("820001", PANDA_ERR_DECODE, "missing timestamp in announce message");
    s_rejects ("83000102", PANDA_ERR_DECODE, "missing target set in announce message");
    s_rejects ("8101", PANDA_ERR_DECODE, "missing session id in replication message");
    s_rejects ("820100", PANDA_ERR_DECODE, "missing mode in sync request message");
    s_rejects ("83010000", PANDA_ERR_DECODE, "missing target set in sync request message");
    s_rejects ("8102", PANDA_ERR_DECODE, "missing session id in replication message");
    s_rejects ("820200", PANDA_ERR_DECODE, "missing entry bytes in entry message");
    s_rejects ("83020041aa", PANDA_ERR_DECODE, "missing operation in entry message");
    s_rejects ("820300", PANDA_ERR_DECODE, "missing live mode flag in sync done message");
    s_rejects ("820a00", PANDA_ERR_DECODE, "missing log heights in have message");
    s_rejects ("811864", PANDA_ERR_DECODE, "missing protocol version in hello message");
    s_rejects ("820d01", PANDA_ERR_DECODE, "missing bytes in credit message");
    s_rejects ("820c00", PANDA_ERR_DECODE, "missing ranges in ranges message");
    //  Extra fields.
    s_rejects ("85000100"
               "81781a736368656d615f6669656c645f646566696e6974696f6e5f7631"
               "68746f6f206d756368",
               PANDA_ERR_DECODE, "too many fields for p2panda message");
    s_rejects ("8501000081781a736368656d615f6669656c645f646566696e6974696f6e5f7631"
               "68746f6f206d756368",
               PANDA_ERR_DECODE, "too many fields for p2panda message");
    s_rejects ("840300f401", PANDA_ERR_DECODE, "too many fields for p2panda message");
    s_rejects ("850200410af6f6", PANDA_ERR_DECODE, "too many fields for p2panda message");
    s_rejects ("840a008000", PANDA_ERR_DECODE, "too many fields for p2panda message");
    s_rejects ("840d010200", PANDA_ERR_DECODE, "too many fields for p2panda message");
    //  Schema id sets: invalid id, unsorted, duplicate, empty target set.
    s_rejects ("8400010081"
               "6576656e7565",
               PANDA_ERR_DECODE, "invalid target set in announce message: malformed schema id `venue`");
    s_rejects ("84000100"
               "82781a736368656d615f6669656c645f646566696e6974696f6e5f7631"
               "74736368656d615f646566696e6974696f6e5f7631",
               PANDA_ERR_DECODE, "invalid target set in announce message: schema id `schema_definition_v1`");
    s_rejects ("84010000"
               "82"
               "67626c6f625f7631"
               "67626c6f625f7631",
               PANDA_ERR_DECODE,
               "invalid target set in sync request message: schema id `blob_v1` at position 1 duplicates");
    s_rejects ("8401000080", PANDA_ERR_DECODE, "empty target set in sync request message");
    s_rejects ("8400010081"
               "47626c6f625f7631",
               PANDA_ERR_DECODE, "expected schema id string");
    //  Wrong types and shapes.
    s_rejects ("8303006174", PANDA_ERR_DECODE, "expected a boolean for live mode flag");
    s_rejects ("83030001", PANDA_ERR_DECODE, "expected a boolean for live mode flag");
    s_rejects ("84026130410af6", PANDA_ERR_DECODE, "expected u64 for session id");
    s_rejects ("8402006161f6", PANDA_ERR_DECODE, "expected byte array for entry in entry message");
    s_rejects ("840200410a6161", PANDA_ERR_DECODE, "expected byte array for operation");
    s_rejects ("830a00a0", PANDA_ERR_DECODE, "expected a sequence for log heights");
    s_rejects ("830a0081835820" S_PK "8000", PANDA_ERR_DECODE, "invalid length 3");
    s_rejects ("830a008182581f"
               "00112233445566778899aabbccddeeff00112233445566778899aabbccddee"
               "81820001",
               PANDA_ERR_DECODE, "invalid public key in have message: 31 bytes");
    s_rejects ("830a0081825820" S_PK "8183000101", PANDA_ERR_DECODE, "expected (log id, seq num)");
    s_rejects ("830a0081825820" S_PK "81820000", PANDA_ERR_DECODE, "invalid seq num in have message");
    s_rejects ("830a0081825820" S_PK "81822001", PANDA_ERR_DECODE,
               "expected u64 or decimal string for log id");
    s_rejects ("c1830300f4", PANDA_ERR_DECODE, "invalid type: tag"); //  no tags
    s_rejects ("8303180af4", PANDA_ERR_DECODE, ""); //  non-shortest integer
    s_rejects ("9f0300f4ff", PANDA_ERR_DECODE, ""); //  indefinite array
    //  Truncation anywhere is an error: frames are whole.
    s_rejects ("830300", PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    s_rejects ("84020058", PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    s_rejects ("830a0081", PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    s_rejects ("830a0082", PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    s_rejects ("830a009bffffffffffffffff", PANDA_ERR_LIMIT, "the limit is 65536");
    s_rejects ("830a0099ffff", PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    s_rejects ("840000009bffffffffffffffff", PANDA_ERR_LIMIT, "the limit is 4096");
    s_rejects ("84000000990fff", PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
}

//  LogId and SeqNum as decimal strings are accepted and decode to integers.
static void
test_repl_decimal_strings (void **state)
{
    panda_repl_msg_t msg;
    panda_error_t err;
    uint8_t *bytes;
    //  [10, 7, [[pk, [["0", "1"], [1, "+2"], ["18446744073709551615", 3], ["007", 9]]]]]
    const char *hex = "830a0781825820" S_PK "84"
                      "82613061318201622b32"
                      "827431383434363734343037333730393535313631350382633030370"
                      "9";
    assert_int_equal (s_decode (hex, &msg, NULL, &err, &bytes), PANDA_OK);
    assert_int_equal (msg.session_id, 7);
    assert_int_equal (msg.authors[0].n_logs, 4);
    assert_int_equal (msg.authors[0].logs[0].log_id, 0);
    assert_int_equal (msg.authors[0].logs[0].seq_num, 1);
    assert_int_equal (msg.authors[0].logs[1].seq_num, 2);
    assert_true (msg.authors[0].logs[2].log_id == UINT64_MAX);
    assert_int_equal (msg.authors[0].logs[3].log_id, 7);
    //  Re-encoded, they are integers.
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    assert_int_equal (panda_repl_msg_encode (&msg, &w, &err), PANDA_OK);
    char *out = panda_test_hex (w.data, w.len);
    assert_string_equal (out, "830a0781825820" S_PK "84820001820102821bffffffffffffffff0382070"
                              "9");
    free (out);
    panda_cbor_writer_free (&w);
    panda_repl_msg_clear (&msg);
    free (bytes);

    s_rejects ("830a0081825820" S_PK "81826001", PANDA_ERR_DECODE, "invalid log id in have message: empty");
    s_rejects ("830a0081825820" S_PK "8182612b01", PANDA_ERR_DECODE, "empty decimal string");
    s_rejects ("830a0081825820" S_PK "8182622d3101", PANDA_ERR_DECODE, "not a decimal string");
    s_rejects ("830a0081825820" S_PK "8182612001", PANDA_ERR_DECODE, "not a decimal string");
    s_rejects ("830a0081825820" S_PK "8182743138343436373434303733373039353531363136"
               "01",
               PANDA_ERR_DECODE, "larger than u64");
    s_rejects ("830a0081825820" S_PK "8182016130", PANDA_ERR_DECODE, "invalid seq num in have message");
    s_rejects ("830a0081825820" S_PK "81820141ff", PANDA_ERR_DECODE, "expected u64 or decimal string");
}

static void
s_round_trip (const panda_repl_msg_t *msg, const char *hex)
{
    s_encodes_to (msg, hex);
    panda_repl_msg_t back;
    panda_error_t err;
    uint8_t *bytes;
    if (s_decode (hex, &back, NULL, &err, &bytes))
        fail_msg ("%s: %s", hex, err.message);
    assert_int_equal (back.type, msg->type);
    assert_true (back.session_id == msg->session_id);
    assert_true (back.protocol_version == msg->protocol_version);
    assert_true (back.mode == msg->mode);
    assert_int_equal (back.live_mode, msg->live_mode);
    assert_true (back.credit_entries == msg->credit_entries && back.credit_bytes == msg->credit_bytes);
    assert_true (back.max_frame_bytes == msg->max_frame_bytes);
    assert_memory_equal (back.network_tag, msg->network_tag, PANDA_REPL_NETWORK_TAG_SIZE);
    assert_int_equal (back.psk_proof != NULL, msg->psk_proof != NULL);
    if (msg->psk_proof)
        assert_memory_equal (back.psk_proof, msg->psk_proof, PANDA_REPL_PSK_PROOF_SIZE);
    assert_int_equal (back.ranges_len, msg->ranges_len);
    if (msg->ranges_len)
        assert_memory_equal (back.ranges, msg->ranges, msg->ranges_len);
    assert_true (panda_schema_set_eq (&back.schema_ids, &msg->schema_ids));
    panda_repl_msg_clear (&back);
    free (bytes);
}

//  pandad's extensions: Hello, Ranges, Credit, SyncRequest mode 2, live SyncDone.
#define S_NODE_KEY                                                                                           \
    "5820"                                                                                                   \
    "abababababababababababababababababababababababababababababababab"
static void
test_repl_extensions (void **state)
{
    uint8_t proof[32];
    for (size_t i = 0; i < 32; i++)
        proof[i] = (uint8_t) i;
    uint8_t node_key[32];
    memset (node_key, 0xab, sizeof node_key);
    panda_repl_msg_t hello = {.type = PANDA_REPL_HELLO,
                              .protocol_version = PANDA_REPL_HELLO_VERSION,
                              .network_tag = {1, 2, 3, 4, 5, 6, 7, 8},
                              .max_frame_bytes = 65536,
                              .node_key = node_key};
    s_round_trip (&hello, "86186402480102030405060708f61a00010000" S_NODE_KEY);
    hello.psk_proof = proof;
    s_round_trip (
        &hello, "86186402480102030405060708"
                "5820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f1a00010000" S_NODE_KEY);
    s_rejects ("861864024701020304050607f61a00010000" S_NODE_KEY, PANDA_ERR_DECODE,
               "network tag in hello message: 7 bytes");
    s_rejects ("8618640248010203040506070841001a00010000" S_NODE_KEY, PANDA_ERR_DECODE,
               "psk proof in hello message: 1 bytes");
    s_rejects ("86186402480102030405060708f61a00010000"
               "4101",
               PANDA_ERR_DECODE, "node key in hello message: 1 bytes");
    s_rejects ("85186402480102030405060708f61a00010000", PANDA_ERR_DECODE,
               "missing node key in hello message");
}
//  Ranges carry one CBOR item untouched; Credit and the mode/live flags.
static void
test_repl_ranges_credit (void **state)
{
    //  [12, 5, [[h'01', 3], [h'02', [[h'aa', 1, 2]]]]]: any one item will do.
    size_t len;
    uint8_t *ranges = panda_test_unhex ("82824101038241028183"
                                        "41aa0102",
                                        &len);
    panda_repl_msg_t msg = {.type = PANDA_REPL_RANGES, .session_id = 5, .ranges = ranges, .ranges_len = len};
    s_round_trip (&msg, "830c05"
                        "82824101038241028183"
                        "41aa0102");
    free (ranges);
    s_rejects ("830c05"
               "8282",
               PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);

    panda_repl_msg_t credit = {.type = PANDA_REPL_CREDIT, .credit_entries = 256, .credit_bytes = 1u << 20};
    s_round_trip (&credit, "830d1901001a00100000");

    panda_repl_msg_t request = {
        .type = PANDA_REPL_SYNC_REQUEST, .session_id = 3, .mode = PANDA_REPL_MODE_LOG_HEIGHT_RANGES};
    s_three_ids (&request.schema_ids);
    s_round_trip (&request, "84010302" S_THREE_IDS);
    panda_schema_set_clear (&request.schema_ids);
    //  Unknown modes decode (the session refuses them, not the codec).
    s_rejects ("8401001863"
               "8167626c6f625f7631",
               PANDA_OK, "");

    panda_repl_msg_t live = {.type = PANDA_REPL_SYNC_DONE, .session_id = 1, .live_mode = true};
    s_round_trip (&live, "830301f5");
}

//  The relay messages (20..26): bytes both ways, and what is refused.
#define S_KEY "abababababababababababababababababababababababababababababababab"
static void
test_repl_relay_messages (void **state)
{
    uint8_t key[32];
    memset (key, 0xab, sizeof key);
    panda_repl_msg_t reg = {.type = PANDA_REPL_REGISTER, .ttl = 60, .port = 2022};
    s_round_trip (&reg, "8314183c1907e6");
    panda_repl_msg_t registered = {
        .type = PANDA_REPL_REGISTERED, .ttl = 60, .text = "1.2.3.4:5", .text_len = 9};
    s_round_trip (&registered, "8315183c69312e322e332e343a35");
    panda_repl_msg_t lookup = {.type = PANDA_REPL_LOOKUP};
    s_round_trip (&lookup, "8116");
    panda_repl_relay_peer_t listed = {.address = "h:1", .address_len = 3};
    memcpy (listed.node_key, key, 32);
    panda_repl_msg_t peers = {.type = PANDA_REPL_PEERS, .relay_peers = &listed, .n_relay_peers = 1};
    s_encodes_to (&peers, "821781825820" S_KEY "63683a31");
    const uint8_t payload[] = {1, 2};
    panda_repl_msg_t forward = {
        .type = PANDA_REPL_FORWARD, .node_key = key, .payload = payload, .payload_len = 2};
    s_encodes_to (&forward, "8318185820" S_KEY "420102");
    panda_repl_msg_t refused = {.type = PANDA_REPL_REFUSED, .node_key = key, .text = "busy", .text_len = 4};
    s_encodes_to (&refused, "8318195820" S_KEY "6462757379");
    panda_repl_msg_t ack = {.type = PANDA_REPL_ACK, .acked_bytes = 1000};
    s_round_trip (&ack, "82181a1903e8");

    //  Decoded: every field back, borrowed from the frame.
    panda_repl_msg_t back;
    panda_error_t err;
    uint8_t *bytes;
    assert_int_equal (s_decode ("8315183c69312e322e332e343a35", &back, NULL, &err, &bytes), PANDA_OK);
    assert_true (back.ttl == 60 && back.text_len == 9 && memcmp (back.text, "1.2.3.4:5", 9) == 0);
    free (bytes);
    assert_int_equal (s_decode ("821781825820" S_KEY "63683a31", &back, NULL, &err, &bytes), PANDA_OK);
    assert_int_equal (back.n_relay_peers, 1);
    assert_memory_equal (back.relay_peers[0].node_key, key, 32);
    assert_true (back.relay_peers[0].address_len == 3 && memcmp (back.relay_peers[0].address, "h:1", 3) == 0);
    panda_repl_msg_clear (&back);
    free (bytes);
    assert_int_equal (s_decode ("8318185820" S_KEY "420102", &back, NULL, &err, &bytes), PANDA_OK);
    assert_memory_equal (back.node_key, key, 32);
    assert_true (back.payload_len == 2 && back.payload[0] == 1 && back.payload[1] == 2);
    free (bytes);
    assert_int_equal (s_decode ("8318195820" S_KEY "6462757379", &back, NULL, &err, &bytes), PANDA_OK);
    assert_true (back.text_len == 4 && memcmp (back.text, "busy", 4) == 0);
    free (bytes);
    assert_int_equal (s_decode ("8314183c1907e6", &back, NULL, &err, &bytes), PANDA_OK);
    assert_true (back.ttl == 60 && back.port == 2022);
    free (bytes);

    s_rejects ("8314183c1a00011170", PANDA_ERR_DECODE, "invalid port in register message");
    s_rejects ("8214183c", PANDA_ERR_DECODE, "missing port in register message");
    s_rejects ("821600", PANDA_ERR_DECODE, "too many fields");
    s_rejects ("82179907d0", PANDA_ERR_LIMIT, "peers in peers message has 2000 elements");
    s_rejects ("821781825820" S_KEY "01", PANDA_ERR_DECODE, "expected a string for address in peers message");
    s_rejects ("8318185819" S_KEY "420102", PANDA_ERR_DECODE, "node key in relay message: 25 bytes");
    s_rejects ("8218185820" S_KEY, PANDA_ERR_DECODE, "missing payload in forward message");
    s_rejects ("8218195820" S_KEY, PANDA_ERR_DECODE, "missing reason in refused message");
    s_rejects ("81181a", PANDA_ERR_DECODE, "missing bytes in ack message");
    //  Texts are bounded: 256 bytes of address.
    char hex[600] = "8315183c790100";
    for (size_t i = 0; i < 256; i++)
        strcat (hex, "61");
    s_rejects (hex, PANDA_ERR_LIMIT, "address in registered message of 256 bytes");

    //  Never written: a port over 65535, a Forward without its node, a
    //  text over the bound.
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    reg.port = 65536;
    assert_int_equal (panda_repl_msg_encode (&reg, &w, &err), PANDA_ERR_INVALID);
    forward.node_key = NULL;
    assert_int_equal (panda_repl_msg_encode (&forward, &w, &err), PANDA_ERR_INVALID);
    refused.text_len = 300;
    assert_int_equal (panda_repl_msg_encode (&refused, &w, &err), PANDA_ERR_INVALID);
    assert_int_equal (w.len, 0);
    panda_cbor_writer_free (&w);
}

//  What a peer would reject is never written; the writer is left as it was.
static void
test_repl_encode_refusals (void **state)
{
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    panda_error_t err;
    panda_repl_msg_t done = {.type = PANDA_REPL_SYNC_DONE};
    assert_int_equal (panda_repl_msg_encode (&done, &w, &err), PANDA_OK);
    assert_int_equal (w.len, 4);

    panda_repl_msg_t bad = {.type = PANDA_REPL_SYNC_REQUEST};
    assert_int_equal (panda_repl_msg_encode (&bad, &w, &err), PANDA_ERR_INVALID);
    assert_non_null (strstr (err.message, "empty target set"));
    const char *unsorted[] = {"blob_v1", "schema_definition_v1"};
    for (size_t i = 0; i < 2; i++)
        assert_int_equal (
            panda_schema_set_add_text (&bad.schema_ids, unsorted[i], strlen (unsorted[i]), NULL), PANDA_OK);
    assert_int_equal (panda_repl_msg_encode (&bad, &w, &err), PANDA_ERR_INVALID);
    assert_non_null (strstr (err.message, "unsorted schema id set"));
    bad.type = PANDA_REPL_ANNOUNCE;
    assert_int_equal (panda_repl_msg_encode (&bad, &w, &err), PANDA_ERR_INVALID);
    panda_schema_set_normalize (&bad.schema_ids);
    assert_int_equal (panda_repl_msg_encode (&bad, &w, &err), PANDA_OK);
    panda_schema_set_clear (&bad.schema_ids);
    size_t good_len = w.len;

    panda_repl_msg_t entry = {.type = PANDA_REPL_ENTRY};
    assert_int_equal (panda_repl_msg_encode (&entry, &w, &err), PANDA_ERR_INVALID);
    panda_repl_log_height_t zero = {0, 0};
    panda_repl_author_t author = {.logs = &zero, .n_logs = 1};
    panda_repl_msg_t have = {.type = PANDA_REPL_HAVE, .authors = &author, .n_authors = 1};
    assert_int_equal (panda_repl_msg_encode (&have, &w, &err), PANDA_ERR_INVALID);
    assert_non_null (strstr (err.message, "seq num 0"));
    const uint8_t two_items[] = {0x01, 0x02}, open[] = {0x82, 0x01};
    panda_repl_msg_t ranges = {.type = PANDA_REPL_RANGES, .ranges = two_items, .ranges_len = 2};
    assert_int_equal (panda_repl_msg_encode (&ranges, &w, &err), PANDA_ERR_INVALID);
    ranges.ranges = open;
    assert_int_equal (panda_repl_msg_encode (&ranges, &w, &err), PANDA_ERR_INVALID);
    ranges.ranges = NULL;
    assert_int_equal (panda_repl_msg_encode (&ranges, &w, &err), PANDA_ERR_INVALID);
    panda_repl_msg_t unknown = {.type = (panda_repl_type_t) 7};
    assert_int_equal (panda_repl_msg_encode (&unknown, &w, &err), PANDA_ERR_INVALID);
    assert_int_equal (w.len, good_len);
    panda_cbor_writer_free (&w);
}

//  Many messages in one frame, read back one by one.
static void
test_repl_frame_batch (void **state)
{
    size_t entry_len, op_len;
    uint8_t *entry = panda_test_unhex (S_ENTRY1, &entry_len), *op = panda_test_unhex (S_OP1, &op_len);
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    panda_error_t err;
    uint8_t node_key[32] = {0};
    panda_repl_msg_t hello = {
        .type = PANDA_REPL_HELLO, .protocol_version = 2, .max_frame_bytes = 4096, .node_key = node_key};
    assert_int_equal (panda_repl_msg_encode (&hello, &w, &err), PANDA_OK);
    for (uint64_t i = 0; i < 100; i++) {
        panda_repl_msg_t msg = {.type = PANDA_REPL_ENTRY,
                                .session_id = i,
                                .entry = entry,
                                .entry_len = entry_len,
                                .operation = i % 2 ? op : NULL,
                                .operation_len = op_len};
        assert_int_equal (panda_repl_msg_encode (&msg, &w, &err), PANDA_OK);
    }
    panda_repl_msg_t done = {.type = PANDA_REPL_SYNC_DONE, .session_id = 99};
    assert_int_equal (panda_repl_msg_encode (&done, &w, &err), PANDA_OK);

    panda_repl_reader_t reader;
    panda_repl_msg_t msg;
    assert_int_equal (panda_repl_reader_init (&reader, w.data, w.len, NULL, &err), PANDA_OK);
    assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_HELLO);
    assert_true (msg.max_frame_bytes == 4096);
    for (uint64_t i = 0; i < 100; i++) {
        assert_true (panda_repl_reader_more (&reader));
        assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
        assert_int_equal (msg.type, PANDA_REPL_ENTRY);
        assert_true (msg.session_id == i);
        assert_memory_equal (msg.entry, entry, entry_len);
        assert_int_equal (msg.operation != NULL, i % 2);
        panda_repl_msg_clear (&msg);
    }
    assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_SYNC_DONE);
    assert_false (panda_repl_reader_more (&reader));
    assert_int_equal (reader.index, 102);

    //  The same frame cut short: every whole message reads, the cut one fails.
    assert_int_equal (panda_repl_reader_init (&reader, w.data, w.len - 1, NULL, &err), PANDA_OK);
    size_t ok = 0;
    while (panda_repl_reader_more (&reader)) {
        if (panda_repl_reader_next (&reader, &msg, &err))
            break;
        panda_repl_msg_clear (&msg);
        ok++;
    }
    assert_int_equal (ok, 101);
    assert_false (panda_repl_reader_more (&reader));
    assert_non_null (strstr (err.message, "message 101 at offset"));
    assert_non_null (strstr (err.message, PANDA_CBOR_TRUNCATED));

    //  Frame limits.
    panda_repl_limits_t limits = panda_repl_limits_default ();
    limits.max_frame_bytes = w.len - 1;
    assert_int_equal (panda_repl_reader_init (&reader, w.data, w.len, &limits, &err), PANDA_ERR_LIMIT);
    assert_int_equal (panda_repl_reader_init (&reader, w.data, 0, NULL, &err), PANDA_ERR_DECODE);
    panda_cbor_writer_free (&w);
    free (entry);
    free (op);
}

static void
s_rejects_with (const char *hex, const panda_repl_limits_t *limits, const char *text)
{
    panda_repl_msg_t msg;
    panda_error_t err;
    uint8_t *bytes;
    assert_int_equal (s_decode (hex, &msg, limits, &err, &bytes), PANDA_ERR_LIMIT);
    if (!strstr (err.message, text))
        fail_msg ("`%s` lacks `%s`", err.message, text);
    free (bytes);
}

static void
test_repl_limits (void **state)
{
    panda_repl_limits_t limits = panda_repl_limits_default ();
    assert_int_equal (limits.max_entry_bytes, PANDA_REPL_MAX_ENTRY_BYTES);
    limits.max_authors = 1;
    limits.max_logs = 2;
    limits.max_schema_ids = 2;
    limits.max_entry_bytes = 2;
    limits.max_operation_bytes = 3;
    s_rejects_with ("830a0082825820" S_PK "80825820" S_PK "80", &limits, "has 2 elements, the limit is 1");
    s_rejects_with ("830a0081825820" S_PK "83820001820101820202", &limits, "more than 2 logs");
    s_rejects_with ("84000100" S_THREE_IDS, &limits, "the limit is 2");
    s_rejects_with ("840200430102034100", &limits,
                    "entry in entry message of 3 bytes is over the limit of 2");
    s_rejects_with ("84020041014401020304", &limits, "operation in entry message of 4 bytes");

    //  At the limits, everything decodes; logs count over all authors.
    limits.max_authors = 2;
    panda_repl_msg_t msg;
    panda_error_t err;
    uint8_t *bytes;
    assert_int_equal (
        s_decode ("830a0082825820" S_PK "81820001825820" S_PK "81820101", &msg, &limits, &err, &bytes),
        PANDA_OK);
    assert_int_equal (msg.n_authors, 2);
    panda_repl_msg_clear (&msg);
    free (bytes);
    s_rejects_with ("830a0082825820" S_PK "81820001825820" S_PK "82820101820202", &limits,
                    "more than 2 logs");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_repl_vectors_decode),  cmocka_unit_test (test_repl_vectors_encode),
        cmocka_unit_test (test_repl_decode_errors),   cmocka_unit_test (test_repl_decimal_strings),
        cmocka_unit_test (test_repl_extensions),      cmocka_unit_test (test_repl_ranges_credit),
        cmocka_unit_test (test_repl_encode_refusals), cmocka_unit_test (test_repl_frame_batch),
        cmocka_unit_test (test_repl_limits),          cmocka_unit_test (test_repl_relay_messages),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
