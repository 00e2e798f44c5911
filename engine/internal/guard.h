#pragma once
// The one place where exceptions become Errors: wrap each engine entry point's body.
#include <new>
#include <string>

#include <c10/util/Exception.h>

#include "engine/error.h"

namespace cx::engine {

/// First line of a torch error message (its C++ backtrace follows on later lines).
std::string firstLine(const std::string& text);

template <typename T, typename Fn>
Result<T> guarded(const std::string& what, Fn&& body) {
    try {
        return body();
    } catch (const c10::Error& e) {
        return Error{ErrorCode::Backend, what + ": " + firstLine(e.what_without_backtrace())};
    } catch (const std::bad_alloc&) {
        return Error{ErrorCode::OutOfResources, what + ": out of memory"};
    } catch (const std::exception& e) {
        return Error{ErrorCode::Internal, what + ": " + firstLine(e.what())};
    }
}

}  // namespace cx::engine
