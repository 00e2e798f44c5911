#include "engine/core/job.h"

namespace cx::engine {
namespace {

// A shared_ptr, so that the token outlives a job whose owner let it go.
thread_local std::shared_ptr<CancelToken> t_token;

}  // namespace

ThreadCancelScope::ThreadCancelScope(std::shared_ptr<CancelToken> token) : m_previous(std::move(t_token)) {
    t_token = std::move(token);
}

ThreadCancelScope::~ThreadCancelScope() { t_token = std::move(m_previous); }

bool threadInterrupted() { return t_token && t_token->interrupted(); }

}  // namespace cx::engine
