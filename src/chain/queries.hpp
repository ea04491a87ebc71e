#pragma once
// The ledger's query answers (docs/protocol/ledger.md §6) as typed values, and the query data each
// path takes. Parsers take the JSON text of a QueryAnswer's value.

#include <ledger/params.hpp>
#include <ledger/types.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <string_view>

namespace nym::chain {

inline constexpr std::string_view QUERY_ACCOUNT = "/account";
inline constexpr std::string_view QUERY_ZETA = "/zeta";
inline constexpr std::string_view QUERY_PARAMS = "/params";
inline constexpr std::string_view QUERY_CREDENTIAL_REQUEST = "/credential_request";

struct AccountState {
    ledger::Address address;
    std::uint64_t balance = 0;
    std::uint64_t nonce = 0;
};

enum class ZetaStatus { unspent, being_verified, spent };

struct ZetaState {
    ledger::G1Bytes zeta{};
    ZetaStatus status = ZetaStatus::unspent;
    ledger::Address provider;         ///< when deposited
    std::uint64_t value = 0;          ///< when deposited
    std::uint64_t deposit_height = 0; ///< when deposited
    std::uint32_t valid_votes = 0;
    std::uint32_t invalid_votes = 0;
    std::uint64_t answered_at = 0; ///< the committed height the answer reflects (set by RpcClient::zeta)
};

[[nodiscard]] Expected<AccountState> parse_account(std::string_view json);
[[nodiscard]] Expected<ZetaState> parse_zeta(std::string_view json);
[[nodiscard]] Expected<ledger::Params> parse_params(std::string_view json);
[[nodiscard]] std::string_view zeta_status_name(ZetaStatus status) noexcept;

} // namespace nym::chain
