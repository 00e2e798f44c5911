#include "widgets/circuit_panel.h"

#include <algorithm>
#include <cmath>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSlider>
#include <QSplitter>
#include <QToolButton>
#include <QStyle>
#include <QVBoxLayout>

#include "widgets/curve_view.h"
#include "widgets/detail_bar.h"
#include "widgets/diagram_view.h"
#include "widgets/form_helpers.h"
#include "widgets/scatter_view.h"
#include "widgets/unit_examples_view.h"

namespace cx::widgets {
namespace {

// The sparsity slider is logarithmic: 0 .. 300 maps to 0.1% .. 100% kept.
constexpr int kSliderSteps = 300;
int sliderFor(double fraction) { return int(std::lround((std::log10(fraction) + 3.0) * 100.0)); }
double fractionFor(int slider) { return std::pow(10.0, slider / 100.0 - 3.0); }

}  // namespace

QString CircuitSettings::targetLabel() const {
    if (directionFile.isEmpty()) return target;
    return QObject::tr("%1 along %2").arg(target, QFileInfo(directionFile).fileName());
}

QString CircuitSettings::targetProblem() const {
    if (directionFile.isEmpty() && !target.contains(QLatin1Char(':')))
        return QObject::tr("Give the target as layer:unit (e.g. features.conv4:27), or a layer and a direction file.");
    if (!directionFile.isEmpty() && (target.isEmpty() || target.contains(QLatin1Char(':'))))
        return QObject::tr("With a direction file the target is a layer alone (e.g. features.conv4), not %1.").arg(target);
    return {};
}

CircuitPanel::CircuitPanel(QWidget* parent) : QWidget(parent) {
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(buildControls());
    splitter->addWidget(buildDiagramArea());
    auto* charts = new QSplitter(Qt::Vertical, splitter);
    m_curves = new CurveView(charts);
    m_scatter = new ScatterView(charts);
    charts->addWidget(m_curves);
    charts->addWidget(m_scatter);
    splitter->addWidget(charts);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 2);
    splitter->setSizes({210, 470, 400});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);
    updateKept();
}

QWidget* CircuitPanel::buildControls() {
    QWidget* scroll = controlColumn(this, {buildPruningGroup(), buildSweepGroup()});
    connectControls();
    setSparsity(0.1);
    return scroll;
}

QGroupBox* CircuitPanel::buildPruningGroup() {
    m_target = new QLineEdit(this);
    m_target->setPlaceholderText(tr("layer:unit"));
    m_target->setToolTip(tr("The feature to explain: a layer and one of its output units, e.g. features.conv4:27. "
                            "Double-click a unit in the Units list to pick one."));
    m_criterion = valueCombo(this, {{tr("ActGrad"), "actgrad"}, {tr("SNIP"), "snip"}, {tr("FORCE"), "force"},
                               {tr("Magnitude"), "magnitude"}, {tr("Random"), "random"}},
                        tr("How kernels are ranked: ActGrad |a \u00b7 \u2202f/\u2202a|, SNIP |w \u00b7 \u2202f/\u2202w|, FORCE "
                           "(iterative SNIP), weight magnitude, or random (the baseline)"));
    m_granularity = valueCombo(this, {{tr("Kernel"), "kernel"}, {tr("Filter / neuron"), "filter"}, {tr("Weight"), "weight"}},
                          tr("The unit a circuit keeps or removes: one input-output kernel, one whole filter, or one weight"));
    m_objective = valueCombo(this, {{tr("Sum |f|"), "sum-abs"}, {tr("Max"), "max"}, {tr("Mean"), "mean"}, {tr("Sum"), "sum"}},
                        tr("How the target's feature map is reduced to the number whose gradient scores kernels"));
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setRange(0, kSliderSteps);
    m_slider->setToolTip(tr("Fraction of the relevant units kept (logarithmic). Releasing it prunes again from the same scores."));
    m_sparsity = new QDoubleSpinBox(this);
    m_sparsity->setRange(0.1, 100.0);
    m_sparsity->setDecimals(1);
    m_sparsity->setSuffix(tr(" % kept"));
    m_sparsity->setToolTip(tr("Fraction of the relevant units the circuit keeps (exact top-k)"));
    m_kept = new QLabel(this);
    m_kept->setWordWrap(true);
    m_bias = valueCombo(this, {{tr("Masked (kept)"), "masked"}, {tr("Pruned with filter"), "pruned"}},
                   tr("Biases stay (masked) or go with filters whose every kernel was pruned"));
    m_minmax = new QCheckBox(tr("Min-max per layer"), this);
    m_minmax->setToolTip(tr("Normalise scores within each layer before the global ranking"));
    m_find = new QPushButton(appIcon(QStringLiteral("find-circuit"), QStyle::SP_MediaPlay), tr("Find Circuit"), this);
    m_find->setToolTip(tr("Score the kernels for the target and prune to the chosen sparsity (Ctrl+Return)"));
    m_find->setShortcut(QKeySequence(tr("Ctrl+Return")));
    m_find->setDefault(true);

    auto* pruning = new QGroupBox(tr("Circuit pruning"), this);
    auto* form = new QFormLayout(pruning);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Target"), m_target);
    form->addRow(tr("Direction"), buildDirectionRow());
    form->addRow(tr("Criterion"), m_criterion);
    form->addRow(tr("Unit"), m_granularity);
    form->addRow(tr("Objective"), m_objective);
    form->addRow(tr("Keep"), m_sparsity);
    form->addRow(m_slider);
    form->addRow(m_kept);
    form->addRow(tr("Bias"), m_bias);
    form->addRow(m_minmax);
    form->addRow(m_find);
    return pruning;
}

QGroupBox* CircuitPanel::buildSweepGroup() {
    auto* sweep = new QGroupBox(tr("Sweep"), this);
    auto* sweepLayout = new QVBoxLayout(sweep);
    for (const engine::Criterion criterion : engine::allCriteria()) {
        auto* box = new QCheckBox(CurveView::criterionLabel(criterion), sweep);
        box->setProperty("criterion", int(criterion));
        box->setChecked(true);
        sweepLayout->addWidget(box);
        m_sweepBoxes << box;
    }
    m_sweep = new QPushButton(appIcon(QStringLiteral("sweep"), QStyle::SP_MediaSeekForward), tr("Sweep"), sweep);
    m_sweep->setToolTip(tr("Preservation curves: every ticked criterion at 13 sparsities from 90% to 0.1% kept"));
    sweepLayout->addWidget(m_sweep);
    return sweep;
}

void CircuitPanel::connectControls() {
    const auto find = [this] { Q_EMIT findRequested(settings()); };
    connect(m_find, &QPushButton::clicked, this, find);
    connect(m_target, &QLineEdit::returnPressed, this, find);
    connect(m_slider, &QSlider::sliderReleased, this, find);
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        if (m_slider->isSliderDown()) {
            const QSignalBlocker block(m_sparsity);
            m_sparsity->setValue(100.0 * fractionFor(v));
        }
        updateKept();
    });
    connect(m_sparsity, &QDoubleSpinBox::valueChanged, this, [this](double percent) {
        const QSignalBlocker block(m_slider);
        m_slider->setValue(sliderFor(percent / 100.0));
        updateKept();
    });
    connect(m_granularity, &QComboBox::currentIndexChanged, this, [this] { setRelevantCount(0); });
    connect(m_target, &QLineEdit::textEdited, this, [this] { setRelevantCount(0); });
    connect(m_sweep, &QPushButton::clicked, this, [this] { Q_EMIT sweepRequested(settings(), sweepCriteria()); });
}

QWidget* CircuitPanel::buildDirectionRow() {
    m_direction = new QLineEdit(this);
    m_direction->setPlaceholderText(tr("none: one unit"));
    m_direction->setClearButtonEnabled(true);
    m_direction->setToolTip(tr("Optional: a text file of coefficients, one per output channel of the target layer "
                               "(separated by spaces, commas or newlines). The target is then that direction in channel space."));
    auto* browse = new QToolButton(this);
    browse->setText(tr("…"));
    browse->setToolTip(tr("Choose a direction file"));
    auto* row = new QWidget(this);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_direction, 1);
    layout->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Direction File"), m_direction->text(),
                                                          tr("Coefficients (*.txt *.csv);;All files (*)"));
        if (!path.isEmpty()) setDirectionFile(path);
    });
    connect(m_direction, &QLineEdit::textEdited, this, [this] { setRelevantCount(0); });
    return row;
}

QWidget* CircuitPanel::buildDiagramArea() {
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Find unit\u2026"));
    m_search->setClearButtonEnabled(true);
    m_search->setToolTip(tr("Highlight a unit and every path through it, e.g. conv3:12"));
    m_search->setMinimumWidth(110);
    m_dead = new QCheckBox(tr("Dead ends"), this);
    m_dead->setToolTip(tr("Also draw, greyed, the kept kernels that lie on no input-to-target path (the diagram is laid out again)"));
    m_pictures = new QComboBox(this);
    m_pictures->addItem(tr("Dataset crops"), int(PictureMode::Crop));
    m_pictures->addItem(tr("Visualisations"), int(PictureMode::Visualisation));
    m_pictures->addItem(tr("Kernel weights"), int(PictureMode::Kernel));
    m_pictures->setToolTip(tr("What each unit shows: the patch of its top-activating image; its feature visualisation "
                              "with respect to the circuit shown (optimised in the background, cached on disk); or, "
                              "for the first layer, the filter's weights"));
    auto* fit = new QPushButton(tr("Fit"), this);
    fit->setToolTip(tr("Fit the whole circuit in the view"));
    m_export = new QPushButton(appIcon(QStringLiteral("export-diagram"), QStyle::SP_DialogSaveButton), tr("Export\u2026"), this);
    m_export->setToolTip(tr("Export the diagram as SVG, PNG, PDF or DOT (Ctrl+E)"));
    m_export->setEnabled(false);
    m_summary = new QLabel(tr("No circuit yet: choose a target unit and press Find Circuit."), this);
    m_summary->setWordWrap(true);
    m_summary->setMinimumWidth(120);
    m_view = new DiagramView(this);
    m_detail = new DetailBar(this);
    m_examples = new UnitExamplesView(this);

    auto* tools = new QHBoxLayout;
    tools->addWidget(m_search, 1);
    tools->addWidget(m_dead);
    tools->addWidget(fit);
    tools->addWidget(m_export);
    auto* area = new QWidget(this);
    auto* layout = new QVBoxLayout(area);
    layout->setContentsMargins(4, 0, 4, 0);
    auto* top = new QHBoxLayout;  // the circuit shown, and what its vertices show
    top->addWidget(m_summary, 1);
    top->addWidget(m_pictures, 0, Qt::AlignTop);
    layout->addLayout(top);
    layout->addLayout(tools);
    layout->addWidget(m_detail);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_examples);

    connect(m_search, &QLineEdit::returnPressed, this, [this] {
        if (!m_view->findUnit(m_search->text())) m_summary->setText(tr("No unit %1 in this circuit.").arg(m_search->text()));
    });
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) {
        if (text.isEmpty()) m_view->clearHighlight();
    });
    connect(m_dead, &QCheckBox::toggled, m_view, &DiagramView::setDeadEndsVisible);
    connect(m_dead, &QCheckBox::toggled, this, &CircuitPanel::deadEndsToggled);
    connect(m_pictures, qOverload<int>(&QComboBox::activated), this, [this] { Q_EMIT pictureModeChanged(pictureMode()); });
    connect(fit, &QPushButton::clicked, m_view, &DiagramView::fitAll);
    connect(m_view, &DiagramView::unitClicked, this, &CircuitPanel::unitExamplesRequested);
    // Once a click has opened the examples, resting on another vertex shows its examples.
    connect(m_view, &DiagramView::unitHovered, this, [this](const QString& id) {
        if (!m_examples->isHidden() && m_examples->unit() != id) Q_EMIT unitExamplesRequested(id);
    });
    connect(m_view, &DiagramView::diagramShown, this, [this] { m_detail->setView(m_view->diagram()); });
    connect(m_view, &DiagramView::detailRequested, this, &CircuitPanel::detailRequested);
    connect(m_detail, &DetailBar::detailRequested, this, &CircuitPanel::detailRequested);
    connect(m_export, &QPushButton::clicked, this, &CircuitPanel::exportRequested);
    return area;
}

CircuitSettings CircuitPanel::settings() const {
    CircuitSettings s;
    s.target = target();
    s.directionFile = directionFile();
    s.criterion = currentChoice(m_criterion, engine::parseCriterion, s.criterion);
    s.granularity = currentChoice(m_granularity, engine::parseGranularity, s.granularity);
    s.objective = m_objective->currentData().toString();
    s.sparsity = sparsity();
    s.bias = currentChoice(m_bias, engine::parseBiasMode, s.bias);
    s.minmax = m_minmax->isChecked();
    return s;
}

void CircuitPanel::setSettings(const CircuitSettings& s) {
    setTarget(s.target);
    setDirectionFile(s.directionFile);
    selectChoice(m_criterion, s.criterion);
    selectChoice(m_granularity, s.granularity);
    selectValue(m_objective, s.objective);
    selectChoice(m_bias, s.bias);
    m_minmax->setChecked(s.minmax);
    setSparsity(s.sparsity);
}

void CircuitPanel::setTarget(const QString& target) {
    if (target.trimmed() != this->target()) setRelevantCount(0);
    m_target->setText(target);
    if (target.contains(QLatin1Char(':'))) setDirectionFile({});
}
QString CircuitPanel::target() const { return m_target->text().trimmed(); }

void CircuitPanel::setDirectionFile(const QString& path) {
    if (path == directionFile()) return;
    setRelevantCount(0);
    m_direction->setText(path);
    if (!path.isEmpty() && target().contains(QLatin1Char(':'))) m_target->setText(target().section(QLatin1Char(':'), 0, 0));
}
QString CircuitPanel::directionFile() const { return m_direction->text().trimmed(); }
double CircuitPanel::sparsity() const { return m_sparsity->value() / 100.0; }
void CircuitPanel::setSparsity(double fraction) { m_sparsity->setValue(100.0 * fraction); }

std::vector<engine::Criterion> CircuitPanel::sweepCriteria() const {
    std::vector<engine::Criterion> out;
    for (auto* box : m_sweepBoxes)
        if (box->isChecked()) out.push_back(engine::Criterion(box->property("criterion").toInt()));
    return out;
}

void CircuitPanel::setSweepCriteria(const std::vector<engine::Criterion>& criteria) {
    for (auto* box : m_sweepBoxes) {
        const auto criterion = engine::Criterion(box->property("criterion").toInt());
        box->setChecked(std::find(criteria.begin(), criteria.end(), criterion) != criteria.end());
    }
}

void CircuitPanel::setRelevantCount(int64_t relevant) {
    m_relevant = relevant;
    updateKept();
}

QString CircuitPanel::keptText() const { return m_kept->text(); }

void CircuitPanel::updateKept() {
    const auto granularity = currentChoice(m_granularity, engine::parseGranularity, engine::Granularity::Kernel);
    const QString unit = granularity == engine::Granularity::Filter ? tr("filters") :
                         granularity == engine::Granularity::Weight ? tr("weights") : tr("kernels");
    const QLocale locale;
    if (m_relevant <= 0) {
        m_kept->setText(tr("%1% of the relevant %2").arg(m_sparsity->value(), 0, 'g', 3).arg(unit));
        return;
    }
    // The engine keeps exactly round(sparsity x relevant), at least one.
    const int64_t kept = std::max<int64_t>(1, std::llround(sparsity() * double(m_relevant)));
    m_kept->setText(tr("%1 of %2 relevant %3").arg(locale.toString(qlonglong(kept)), locale.toString(qlonglong(m_relevant)), unit));
}

void CircuitPanel::showDiagram(const engine::CircuitDiagram& diagram, const QString& summary) {
    m_view->setDiagram(diagram);
    m_view->setDeadEndsVisible(m_dead->isChecked());
    m_summary->setText(summary);
    m_export->setEnabled(true);
}

QString CircuitPanel::summaryText() const { return m_summary->text(); }
bool CircuitPanel::deadEndsShown() const { return m_dead->isChecked(); }
void CircuitPanel::setDeadEndsShown(bool shown) { m_dead->setChecked(shown); }
PictureMode CircuitPanel::pictureMode() const { return PictureMode(m_pictures->currentData().toInt()); }
void CircuitPanel::setPictureMode(PictureMode mode) {
    const int index = m_pictures->findData(int(mode));
    if (index < 0 || index == m_pictures->currentIndex()) return;
    m_pictures->setCurrentIndex(index);
    Q_EMIT pictureModeChanged(mode);
}

bool CircuitPanel::isBusy() const { return !m_find->isEnabled(); }

void CircuitPanel::setBusy(bool busy) {
    m_find->setEnabled(!busy);
    if (busy) m_summary->setText(tr("Finding the circuit\u2026"));
}

}  // namespace cx::widgets
