#pragma once
// The one place where exceptions become Errors: wrap each engine entry point's body.
#include <new>
#include <stdexcept>
#include <string>

#include <c10/util/Exception.h>

#include "engine/core/error.h"
#include "engine/core/job.h"

namespace cx::engine {

/// First line of a torch error message (its C++ backtrace follows on later lines).
std::string firstLine(const std::string& text);

/// Thrown where bad input is only found deep inside a computation (a target position outside
/// the layer's map): becomes InvalidInput, not a backend failure.
struct InputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The reason inside a TorchScript interpreter error ("The following operation failed ...",
/// a traceback, then "RuntimeError: ..."), or the first line of any other message.
std::string errorReason(const std::string& text);

/// The Error for the exception being handled (call inside a catch block): InputError is bad
/// input, torch's errors are backend failures, bad_alloc is out of memory.
inline Error guardedFailure(const std::string& what) {
    try {
        throw;
    } catch (const InputError& e) {
        return invalidInput(e.what());
    } catch (const c10::Error& e) {
        return Error{ErrorCode::Backend, what + ": " + errorReason(e.what_without_backtrace())};
    } catch (const std::bad_alloc&) {
        return Error{ErrorCode::OutOfResources, what + ": out of memory"};
    } catch (const std::exception& e) {  // the interpreter's JITException among them
        return Error{ErrorCode::Internal, what + ": " + errorReason(e.what())};
    } catch (...) {
        return Error{ErrorCode::Internal, what + ": an unknown failure"};
    }
}

/// An exception from the body of an interrupted job (engine/core/job.h: a cancel point inside the
/// model's forward threw) is the job's cancellation, whatever the interpreter wrapped it in.
template <typename T, typename Fn>
Result<T> guarded(const std::string& what, Fn&& body) {
    try {
        return body();
    } catch (...) {
        if (threadInterrupted()) return cancelledError();
        return guardedFailure(what);
    }
}

}  // namespace cx::engine
