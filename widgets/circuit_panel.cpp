#include "widgets/circuit_panel.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include "widgets/diagram_view.h"

namespace cx::widgets {

CircuitPanel::CircuitPanel(QWidget* parent) : QWidget(parent) {
    m_target = new QLineEdit(this);
    m_target->setPlaceholderText(tr("layer:unit"));
    m_target->setToolTip(tr("The feature to explain: a layer and one of its output units, e.g. features.conv4:27"));
    m_target->setMinimumWidth(180);
    m_sparsity = new QDoubleSpinBox(this);
    m_sparsity->setRange(0.1, 100.0);
    m_sparsity->setDecimals(1);
    m_sparsity->setSuffix(tr(" % kept"));
    m_sparsity->setValue(10.0);
    m_sparsity->setToolTip(tr("Fraction of the relevant kernels the circuit keeps (ActGrad, exact top-k)"));
    m_find = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Find Circuit"), this);
    m_find->setToolTip(tr("Score the kernels for the target and prune to the chosen sparsity (runs in the background)"));
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Find unit\u2026"));
    m_search->setClearButtonEnabled(true);
    m_search->setToolTip(tr("Highlight a unit and every path through it, e.g. conv3:12"));
    m_dead = new QCheckBox(tr("Dead ends"), this);
    m_dead->setToolTip(tr("Show kernels that lie on no input-to-target path (when the diagram has them)"));
    m_dead->setChecked(true);
    auto* fit = new QPushButton(tr("Fit"), this);
    fit->setToolTip(tr("Fit the whole circuit in the view"));
    m_export = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export\u2026"), this);
    m_export->setToolTip(tr("Export the diagram as SVG, PNG, PDF or DOT"));
    m_export->setEnabled(false);

    m_search->setMinimumWidth(150);
    m_target->setMinimumWidth(150);
    m_summary = new QLabel(tr("No circuit yet: choose a target unit and press Find Circuit."), this);
    m_summary->setWordWrap(true);
    m_summary->setMinimumWidth(120);
    auto* bar = new QHBoxLayout;  // what to find
    bar->addWidget(new QLabel(tr("Target"), this));
    bar->addWidget(m_target, 1);
    bar->addWidget(m_sparsity);
    bar->addWidget(m_find);
    bar->addStretch(1);
    bar->addWidget(m_export);
    auto* tools = new QHBoxLayout;  // what was found, and how to look at it
    tools->addWidget(m_summary, 1);
    tools->addWidget(m_search);
    tools->addWidget(m_dead);
    tools->addWidget(fit);
    m_view = new DiagramView(this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addLayout(tools);
    layout->addWidget(m_view, 1);

    auto find = [this] { Q_EMIT findRequested(target(), sparsity()); };
    connect(m_find, &QPushButton::clicked, this, find);
    connect(m_target, &QLineEdit::returnPressed, this, find);
    connect(m_search, &QLineEdit::returnPressed, this, [this] {
        if (!m_view->findUnit(m_search->text())) m_summary->setText(tr("No unit %1 in this circuit.").arg(m_search->text()));
    });
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) {
        if (text.isEmpty()) m_view->clearHighlight();
    });
    connect(m_dead, &QCheckBox::toggled, m_view, &DiagramView::setDeadEndsVisible);
    connect(fit, &QPushButton::clicked, m_view, &DiagramView::fitAll);
    connect(m_export, &QPushButton::clicked, this, &CircuitPanel::exportRequested);
}

void CircuitPanel::setTarget(const QString& target) { m_target->setText(target); }
QString CircuitPanel::target() const { return m_target->text().trimmed(); }
double CircuitPanel::sparsity() const { return m_sparsity->value() / 100.0; }

void CircuitPanel::showDiagram(const engine::CircuitDiagram& diagram, const QString& summary) {
    m_view->setDiagram(diagram);
    m_view->setDeadEndsVisible(m_dead->isChecked());
    m_summary->setText(summary);
    m_export->setEnabled(true);
}

void CircuitPanel::setBusy(bool busy) {
    m_find->setEnabled(!busy);
    if (busy) m_summary->setText(tr("Finding the circuit\u2026"));
}

}  // namespace cx::widgets
