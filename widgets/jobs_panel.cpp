#include "widgets/jobs_panel.h"

#include <QLabel>
#include <QProgressBar>
#include <QScrollArea>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace cx::widgets {
namespace {
constexpr int kKeepFinished = 6;
}

JobsPanel::JobsPanel(QWidget* parent) : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* content = new QWidget(scroll);
    m_list = new QVBoxLayout(content);
    m_list->setContentsMargins(6, 6, 6, 6);
    m_empty = new QLabel(tr("No jobs yet. Loading a model or computing a circuit runs here."), content);
    m_empty->setWordWrap(true);
    m_empty->setEnabled(false);
    m_list->addWidget(m_empty);
    m_list->addStretch(1);
    scroll->setWidget(content);
    outer->addWidget(scroll);
}

void JobsPanel::addJob(int id, const QString& title) {
    m_empty->hide();
    Row row;
    row.widget = new QWidget;
    auto* grid = new QVBoxLayout(row.widget);
    grid->setContentsMargins(0, 2, 0, 6);
    auto* top = new QHBoxLayout;
    auto* name = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
    row.cancel = new QToolButton;
    row.cancel->setIcon(style()->standardIcon(QStyle::SP_DialogCancelButton));
    row.cancel->setToolTip(tr("Cancel this job"));
    row.cancel->setAutoRaise(true);
    connect(row.cancel, &QToolButton::clicked, this, [this, id] { Q_EMIT cancelRequested(id); });
    top->addWidget(name, 1);
    top->addWidget(row.cancel);
    row.bar = new QProgressBar;
    row.bar->setRange(0, 1000);
    row.bar->setValue(0);
    row.bar->setTextVisible(false);
    row.bar->setMaximumHeight(10);
    row.status = new QLabel(tr("waiting"));
    row.status->setEnabled(false);
    grid->addLayout(top);
    grid->addWidget(row.bar);
    grid->addWidget(row.status);
    m_list->insertWidget(0, row.widget);
    m_rows.insert(id, row);
    m_order.append(id);
    dropOldFinished();
}

void JobsPanel::setProgress(int id, const QString& stage, double fraction) {
    auto it = m_rows.find(id);
    if (it == m_rows.end() || !it->running) return;
    it->bar->setValue(int(std::clamp(fraction, 0.0, 1.0) * 1000));
    it->status->setText(QStringLiteral("%1 \u2014 %2%").arg(stage).arg(int(fraction * 100)));
}

void JobsPanel::finishJob(int id, Outcome outcome, const QString& message) {
    auto it = m_rows.find(id);
    if (it == m_rows.end()) return;
    it->running = false;
    it->cancel->hide();
    if (outcome == Outcome::Succeeded) it->bar->setValue(1000);
    const QString prefix = outcome == Outcome::Succeeded ? tr("done") : outcome == Outcome::Failed ? tr("failed") : tr("cancelled");
    it->status->setText(message.isEmpty() ? prefix : prefix + QStringLiteral(": ") + message);
    it->status->setToolTip(message);
    if (outcome == Outcome::Failed) {  // errors are read, not skimmed: full contrast, red
        it->status->setEnabled(true);
        it->status->setStyleSheet(QStringLiteral("color: #c0392b;"));
    }
    it->status->setWordWrap(true);
    dropOldFinished();
}

int JobsPanel::runningCount() const {
    int n = 0;
    for (const auto& r : m_rows) n += r.running ? 1 : 0;
    return n;
}

int JobsPanel::progressValue(int id) const { return m_rows.contains(id) ? m_rows[id].bar->value() : -1; }

QString JobsPanel::statusText(int id) const { return m_rows.contains(id) ? m_rows[id].status->text() : QString(); }

void JobsPanel::dropOldFinished() {
    int finished = 0;
    for (int i = m_order.size() - 1; i >= 0; --i) {
        const int id = m_order[i];
        if (m_rows[id].running) continue;
        if (++finished > kKeepFinished) {
            delete m_rows[id].widget;
            m_rows.remove(id);
            m_order.removeAt(i);
        }
    }
}

}  // namespace cx::widgets
