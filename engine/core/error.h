#pragma once
// Value-or-error results for the engine API. Nothing throws out of the engine: torch and
// standard exceptions are caught once at the API boundary and become an Error.
#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace cx::engine {

enum class ErrorCode { InvalidInput, Io, Cancelled, OutOfResources, Backend, Internal };

/// A failure that can be shown to a user: `message` names the file, layer or value at fault.
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
};

const char* errorCodeName(ErrorCode code);

/// Either a value or an Error. Check `ok()` before `value()`.
template <typename T>
class Result {
public:
    Result(T value) : m_state(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Result(Error error) : m_state(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(m_state); }
    explicit operator bool() const { return ok(); }

    T& value() { assert(ok()); return std::get<T>(m_state); }
    const T& value() const { assert(ok()); return std::get<T>(m_state); }
    T&& take() { assert(ok()); return std::get<T>(std::move(m_state)); }
    const Error& error() const { assert(!ok()); return std::get<Error>(m_state); }

private:
    std::variant<T, Error> m_state;
};

/// Result of an operation with no value.
struct Done {};
using Status = Result<Done>;

inline Error invalidInput(std::string message) { return {ErrorCode::InvalidInput, std::move(message)}; }
inline Error ioError(std::string message) { return {ErrorCode::Io, std::move(message)}; }
inline Error cancelledError() { return {ErrorCode::Cancelled, "cancelled"}; }

}  // namespace cx::engine
