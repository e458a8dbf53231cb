#!/bin/sh
# Writes the man page of a program to stdout, made from its own --help so
# the two never disagree (CMake runs it at build time):
#   scripts/man.sh PATH/TO/PROGRAM NAME VERSION > NAME.1
set -eu
program=$1 name=$2 version=$3
help=$("$program" --help)

# roff: escape backslashes and minus signs, and a leading dot or quote.
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"; }

case $name in
pandad)
    summary="a p2panda node"
    description="pandad is a p2panda node: it accepts signed Bamboo entries carrying CBOR operations,
validates and stores them in SQLite, materialises documents, answers GraphQL queries
(POST /graphql, with a GraphQL IDE for browsers) and serves blobs on its HTTP port, and
replicates with other nodes over TCP (CurveZMQ) on its node port. Its options follow
aquadoggo's. Every option is also a key of config.toml and an upper-case environment variable
(HTTP_PORT=2021); sources apply in the order defaults, config file, environment, flags.
SIGINT or SIGTERM stop it: requests in flight are answered and every acknowledged publish
is kept." ;;
panda)
    summary="p2panda client command line"
    description="panda makes and reads p2panda data without a node: key pairs, signed Bamboo
entries and CBOR operations, from and to JSON and hex. It links the client library only
(libpanda's lib/core)." ;;
*) echo "man.sh: no description for $name" >&2; exit 1 ;;
esac

upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
printf '.TH %s 1 "" "%s %s" "User Commands"\n' "$upper" "$name" "$version"
printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
printf '.SH SYNOPSIS\n'
usage=$(echo "$help" | sed -n 's/^usage: //p' | head -n 1)
printf '.B %s\n%s\n' "${usage%% *}" "$(echo "${usage#* }" | esc)"
printf '.SH DESCRIPTION\n'
echo "$description" | esc

if [ "$name" = pandad ]; then
    printf '.SH OPTIONS\n'
    # "  -s, --key <VALUE>    help" (or six spaces and no short flag)
    echo "$help" | esc | awk '/^ +\\-/ {
            sub(/^ +/, ""); split_at = index($0, "  ")
            flags = substr($0, 1, split_at - 1); text = substr($0, split_at); sub(/^ +/, "", text)
            n = split(flags, words, " "); line = ""
            for (i = 1; i <= n; i++)
                line = line (i > 1 ? " " : "") (words[i] ~ /^\\-/ ? "\\fB" words[i] "\\fR" : "\\fI" words[i] "\\fR")
            print ".TP"; print line; print text }'
    cat <<'ROFF'
.SH ENVIRONMENT
Every option has an environment variable named like its key in upper case (\fBHTTP_PORT\fR,
\fBDATA_DIR\fR, \fBALLOW_SCHEMA_IDS\fR); lists take comma\-separated items. \fBCONFIG\fR names
the config file. \fBXDG_DATA_HOME\fR and \fBHOME\fR place the default data directory.
.SH FILES
.TP
\fB./config.toml\fR
read when present and no other file is named (aquadoggo's format and keys)
.TP
\fB$XDG_DATA_HOME/pandad\fR or \fB~/.local/share/pandad\fR
the default data directory (0700): \fBpandad.sqlite3\fR (the signed entries: back it up),
\fBpandad.sqlite3\-views\fR (materialised documents, rebuilt when deleted), \fBblobs/\fR,
\fBnode.key\fR (the node identity)
.TP
\fB/var/lib/pandad\fR
the data directory when run by the systemd unit \fBpandad.service\fR
.SH SEE ALSO
\fBpanda\fR(1); docs/operating.md, docs/replication.md and docs/embedding.md in the source tree
ROFF
else
    printf '.SH COMMANDS\n.nf\n'
    echo "$help" | sed -n '/^commands:/,$p' | sed '1d' | esc
    printf '.fi\n.SH SEE ALSO\n\\fBpandad\\fR(1)\n'
fi
