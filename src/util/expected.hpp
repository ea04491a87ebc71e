#pragma once
// A minimal std::expected for C++20 (GCC 12 ships no <expected>): a value or an error, never both.
// The API follows std::expected so that call sites migrate by changing this header only.

#include <cstdlib>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace nym {

template <class E>
class Unexpected {
public:
    constexpr explicit Unexpected(E error) : m_error(std::move(error)) {}
    constexpr const E& error() const& noexcept { return m_error; }
    constexpr E&& error() && noexcept { return std::move(m_error); }

private:
    E m_error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

/// Accessing the value of an Expected that holds an error is a programming error, never an input error.
[[noreturn]] inline void expected_misuse() noexcept { std::abort(); }

template <class T, class E = std::error_code>
class [[nodiscard]] Expected {
public:
    using value_type = T;
    using error_type = E;

    constexpr Expected() requires std::is_default_constructible_v<T> : m_storage(std::in_place_index<0>) {}
    constexpr Expected(const T& value) : m_storage(std::in_place_index<0>, value) {}
    constexpr Expected(T&& value) : m_storage(std::in_place_index<0>, std::move(value)) {}
    template <class G>
    constexpr Expected(const Unexpected<G>& u) : m_storage(std::in_place_index<1>, E(u.error())) {}
    template <class G>
    constexpr Expected(Unexpected<G>&& u) : m_storage(std::in_place_index<1>, E(std::move(u).error())) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return m_storage.index() == 0; }
    constexpr explicit operator bool() const noexcept { return has_value(); }

    constexpr T& value() & { check_value(); return std::get<0>(m_storage); }
    constexpr const T& value() const& { check_value(); return std::get<0>(m_storage); }
    constexpr T&& value() && { check_value(); return std::get<0>(std::move(m_storage)); }
    constexpr T& operator*() & { return value(); }
    constexpr const T& operator*() const& { return value(); }
    constexpr T&& operator*() && { return std::move(*this).value(); }
    constexpr T* operator->() { return &value(); }
    constexpr const T* operator->() const { return &value(); }

    constexpr const E& error() const& {
        if (has_value()) expected_misuse();
        return std::get<1>(m_storage);
    }

    template <class U>
    constexpr T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(m_storage) : static_cast<T>(std::forward<U>(fallback));
    }

private:
    constexpr void check_value() const {
        if (!has_value()) expected_misuse();
    }
    std::variant<T, E> m_storage;
};

template <class E>
class [[nodiscard]] Expected<void, E> {
public:
    using value_type = void;
    using error_type = E;

    constexpr Expected() noexcept = default;
    template <class G>
    constexpr Expected(const Unexpected<G>& u) : m_error(E(u.error())), m_has_error(true) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return !m_has_error; }
    constexpr explicit operator bool() const noexcept { return has_value(); }
    constexpr void value() const {
        if (m_has_error) expected_misuse();
    }
    constexpr const E& error() const& {
        if (!m_has_error) expected_misuse();
        return m_error;
    }

private:
    E m_error{};
    bool m_has_error = false;
};

/// Shorthand for returning an error code from a function that returns Expected<T>.
template <class Enum>
    requires std::is_error_code_enum_v<Enum>
inline Unexpected<std::error_code> fail(Enum e) {
    return Unexpected<std::error_code>(make_error_code(e));
}

} // namespace nym
