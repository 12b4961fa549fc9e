//! CLUSTER, ASKING, READONLY and READWRITE on a server that is not a
//! cluster node (Redis `cluster.c` with `cluster-enabled no`).
//!
//! # What it does
//! rustredis runs only as a standalone server: `cluster-enabled yes` is one
//! of the directives named at startup as having no feature behind them.
//! Redis 7.0.15 in that mode still has these commands in its table, so
//! COMMAND COUNT, COMMAND LIST, COMMAND INFO/DOCS, ACL categories and the
//! script and MULTI flag checks see them (CLUSTER RESET, say, is `noscript`).
//! Every call that gets past those checks is answered with
//! `-ERR This instance has cluster support disabled`, the reply client
//! libraries probe for to tell a standalone server from a cluster node
//! (redis-py's, ioredis's and Jedis's cluster clients send CLUSTER SLOTS or
//! CLUSTER INFO and match it). A bare `CLUSTER` gets the arity error and an
//! unknown subcommand `-ERR unknown subcommand 'x'. Try CLUSTER HELP.`, as
//! for every container, from the command table's lookup.

use crate::commands::Handler;
use crate::networking::Client;
use crate::server::Server;

/// The error every cluster command replies on a standalone server.
const CLUSTER_DISABLED_ERR: &str = "ERR This instance has cluster support disabled";

/// ASKING, READONLY, READWRITE and every CLUSTER subcommand of Redis 7.0.15.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("asking", cluster_disabled_command),
    ("readonly", cluster_disabled_command),
    ("readwrite", cluster_disabled_command),
    ("cluster|addslots", cluster_disabled_command),
    ("cluster|addslotsrange", cluster_disabled_command),
    ("cluster|bumpepoch", cluster_disabled_command),
    ("cluster|count-failure-reports", cluster_disabled_command),
    ("cluster|countkeysinslot", cluster_disabled_command),
    ("cluster|delslots", cluster_disabled_command),
    ("cluster|delslotsrange", cluster_disabled_command),
    ("cluster|failover", cluster_disabled_command),
    ("cluster|flushslots", cluster_disabled_command),
    ("cluster|forget", cluster_disabled_command),
    ("cluster|getkeysinslot", cluster_disabled_command),
    ("cluster|help", cluster_disabled_command),
    ("cluster|info", cluster_disabled_command),
    ("cluster|keyslot", cluster_disabled_command),
    ("cluster|links", cluster_disabled_command),
    ("cluster|meet", cluster_disabled_command),
    ("cluster|myid", cluster_disabled_command),
    ("cluster|nodes", cluster_disabled_command),
    ("cluster|replicas", cluster_disabled_command),
    ("cluster|replicate", cluster_disabled_command),
    ("cluster|reset", cluster_disabled_command),
    ("cluster|saveconfig", cluster_disabled_command),
    ("cluster|set-config-epoch", cluster_disabled_command),
    ("cluster|setslot", cluster_disabled_command),
    ("cluster|shards", cluster_disabled_command),
    ("cluster|slaves", cluster_disabled_command),
    ("cluster|slots", cluster_disabled_command),
];

/// Any of the commands above, on a standalone server: replies
/// `-ERR This instance has cluster support disabled` and changes nothing
/// (Redis `clusterCommand`, `askingCommand`, `readonlyCommand`,
/// `readwriteCommand` with `cluster_enabled == 0`).
fn cluster_disabled_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_error(CLUSTER_DISABLED_ERR);
}
