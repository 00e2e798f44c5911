#include "engine/core/error.h"

namespace cx::engine {

const char* errorCodeName(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidInput: return "invalid input";
        case ErrorCode::Io: return "i/o error";
        case ErrorCode::Cancelled: return "cancelled";
        case ErrorCode::OutOfResources: return "out of resources";
        case ErrorCode::Backend: return "backend error";
        case ErrorCode::Internal: return "internal error";
    }
    return "error";
}

}  // namespace cx::engine
