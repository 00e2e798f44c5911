#include "widgets/unit_examples_view.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

#include "widgets/patch_label.h"

namespace cx::widgets {
namespace {

constexpr int kCell = 52;

}  // namespace

UnitExamplesView::UnitExamplesView(QWidget* parent) : QWidget(parent) {
    m_title = new QLabel(this);
    m_title->setWordWrap(true);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto* close = new QToolButton(this);
    close->setText(QStringLiteral("\u00d7"));
    close->setAutoRaise(true);
    close->setToolTip(tr("Hide the examples"));
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    auto* head = new QHBoxLayout;
    head->addWidget(m_title, 1);
    head->addWidget(close);
    // The rows scroll sideways, so that a narrow diagram area is never widened by them.
    auto* rows = new QWidget;
    m_grid = new QGridLayout(rows);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setHorizontalSpacing(2);
    m_grid->setVerticalSpacing(2);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(rows);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    scroll->setFixedHeight(2 * (kCell + 4) + 18);  // two rows and a scroll bar
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 2, 0, 2);
    layout->addLayout(head);
    layout->addWidget(scroll);
    hide();
}

QString UnitExamplesView::title() const { return m_title->text(); }

void UnitExamplesView::clearGrid() {
    while (QLayoutItem* item = m_grid->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_rows.clear();
}

void UnitExamplesView::showPending(const QString& unit) {
    clearGrid();
    m_unit = unit;
    m_title->setText(tr("Finding the top images of %1\u2026").arg(unit));
    show();
}

void UnitExamplesView::showExamples(const QString& unit, const std::vector<ExampleRow>& rows, const QString& note) {
    clearGrid();
    m_rows = rows;
    m_unit = unit;
    m_title->setText(tr("%1: its top images, best first (hover for the activation)%2")
                         .arg(unit, note.isEmpty() ? QString() : tr("; whole images: %1").arg(note)));
    for (int r = 0; r < int(rows.size()); ++r) {
        auto* name = new QLabel(rows[size_t(r)].label);
        name->setMinimumWidth(50);
        m_grid->addWidget(name, r, 0);
        for (int c = 0; c < int(rows[size_t(r)].patches.size()); ++c) {
            const auto& p = rows[size_t(r)].patches[size_t(c)];
            if (!p.empty()) m_grid->addWidget(patchLabel(p, kCell, nullptr), r, c + 1);
        }
        m_grid->setColumnStretch(int(rows[size_t(r)].patches.size()) + 1, 1);
    }
    show();
}

}  // namespace cx::widgets
