#pragma once
// `nym-client run`: the client daemon around ClientCore.
//
// Threads:
//   main       – the websocket API server (runtime::HttpServer, 127.0.0.1 only) or, with socket
//                type none, a signal wait
//   loop       – owns ClientCore, GatewayLink and ApiHandler; every API request, gateway frame and
//                topology update is posted here, and it sleeps until the core's next Poisson tick
//   topology   – fetches the topology from the directory every refresh period (blocking HTTP)
//   connector  – one at a time: the blocking websocket connect to the gateway
// Nothing on the loop thread blocks on the network: sends go to WsConnection / HttpServer queues.

#include <client/config.hpp>

#include <filesystem>
#include <optional>

namespace nym::client::app {

struct RunOptions {
    Config config;                       ///< file values with the flags applied
    std::filesystem::path config_file;   ///< where to save the config if the gateway changes
    bool register_again = false;         ///< --gateway named another gateway: register there first
};

/// Runs until SIGINT/SIGTERM. Returns the process exit code (1 on a start-up failure, printed as
/// one "error: ..." line on stderr).
int run_client(RunOptions options);

} // namespace nym::client::app
