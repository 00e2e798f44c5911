#include "widgets/training_panel.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QVBoxLayout>

#include "widgets/chart.h"
#include "widgets/form_helpers.h"
#include "widgets/scientific_spin_box.h"

namespace cx::widgets {
namespace {

const QString kImagesTask = QStringLiteral("images");  // the task combo's value for "the chosen images"

Chart* stepChart(QWidget* parent, const QString& label, int colour) {
    auto* chart = new Chart(parent);
    chart->setMinimumHeight(120);
    chart->xAxis->setLabel(QObject::tr("step"));
    chart->yAxis->setLabel(label);
    QCPGraph* graph = chart->addGraph();
    graph->setPen(QPen(Chart::seriesColour(colour), 1.6));
    return chart;
}


}  // namespace

TrainingPanel::TrainingPanel(QWidget* parent) : QWidget(parent) {
    m_loss = stepChart(this, tr("loss"), 0);
    m_kept = stepChart(this, tr("fraction kept (L0)"), 2);
    m_kept->yAxis->setRange(0, 1.02);
    m_temperature = stepChart(this, tr("temperature"), 3);
    auto* exportButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export\u2026"), this);
    exportButton->setToolTip(tr("Save the training curves (the loss chart as an image, or every series as CSV)"));
    auto* plots = new QWidget(this);
    auto* plotLayout = new QVBoxLayout(plots);
    plotLayout->setContentsMargins(4, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Training, live"), plots), 1);
    bar->addWidget(exportButton);
    plotLayout->addLayout(bar);
    plotLayout->addWidget(m_loss, 1);
    plotLayout->addWidget(m_kept, 1);
    plotLayout->addWidget(m_temperature, 1);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(buildForm());
    splitter->addWidget(plots);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({260, 700});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);
    connect(exportButton, &QPushButton::clicked, this,
            [this] { exportChartWithDialog(this, m_loss, QStringLiteral("training.csv"), csv()); });
    clearSteps();
}

QWidget* TrainingPanel::buildForm() {
    m_method = new QComboBox(this);
    m_method->addItem(tr("Continuous sparsification"), QStringLiteral("cs"));
    m_method->addItem(tr("Hard concrete"), QStringLiteral("hc"));
    m_method->setToolTip(tr("CS: sigmoid(T\u00b7s) masks with an annealed temperature; HC: stretched hard-concrete gates with an L0 penalty"));
    m_granularity = new QComboBox(this);
    for (const auto& [label, value] : QList<std::pair<QString, QString>>{
             {tr("Weight"), "weight"}, {tr("Kernel"), "kernel"}, {tr("Filter / neuron"), "filter"}, {tr("Attention head"), "head"}})
        m_granularity->addItem(label, value);
    m_granularity->setToolTip(tr("What one mask entry switches on or off"));
    m_layers = new QLineEdit(QStringLiteral("*"), this);
    m_layers->setToolTip(tr("Layers to mask: comma-separated names or globs, e.g. features.* or block0.*"));
    m_objective = new QComboBox(this);
    m_objective->addItem(tr("Task"), QStringLiteral("task"));
    m_objective->addItem(tr("Preserve a feature"), QStringLiteral("preserve"));
    m_objective->setToolTip(tr("Keep the model's task accuracy, or keep one unit's activations (MSE to the original)"));
    m_task = new QComboBox(this);
    m_task->setToolTip(tr("The task data: the chosen images with their labels, a built-in task, or a task file (inputs, targets)"));
    m_preserve = new QLineEdit(this);
    m_preserve->setPlaceholderText(tr("layer:unit"));
    m_preserve->setToolTip(tr("The unit whose activations the mask must preserve"));
    m_lambda = new ScientificSpinBox(this);
    m_lambda->setRange(0.0, 10.0);
    m_lambda->setValue(TrainSettings{}.lambda);
    m_lambda->setToolTip(tr("Weight of the L0 penalty against the batch-mean loss: larger keeps fewer units "
                            "(NeuroSurgeon's default is 1e-8; arrows step by half a decade)"));
    m_useTarget = new QCheckBox(tr("Target fraction kept"), this);
    m_useTarget->setToolTip(tr("Adapt lambda during training so that this fraction of the units stays (exact top-k at the end)"));
    m_targetKept = new QDoubleSpinBox(this);
    m_targetKept->setRange(0.1, 100.0);
    m_targetKept->setValue(10.0);
    m_targetKept->setSuffix(tr(" %"));
    m_epochs = new QSpinBox(this);
    m_epochs->setRange(1, 1000);
    m_epochs->setValue(TrainSettings{}.epochs);
    m_train = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Train Mask"), this);
    m_train->setToolTip(tr("Train the mask in the background; the plots follow each step"));
    m_cancel = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Stop"), this);
    m_cancel->setToolTip(tr("Stop training; the masks of the last step are kept"));
    m_result = new QLabel(tr("No mask trained yet."), this);
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* box = new QGroupBox(tr("Mask training"), this);
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Method"), m_method);
    form->addRow(tr("Unit"), m_granularity);
    form->addRow(tr("Layers"), m_layers);
    form->addRow(tr("Objective"), m_objective);
    form->addRow(tr("Task"), m_task);
    form->addRow(tr("Preserve"), m_preserve);
    form->addRow(tr("Lambda"), m_lambda);
    form->addRow(m_useTarget);
    form->addRow(tr("Keep"), m_targetKept);
    form->addRow(tr("Epochs"), m_epochs);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_train, 1);
    buttons->addWidget(m_cancel);
    form->addRow(buttons);
    form->addRow(m_result);
    QWidget* scroll = controlColumn(this, {box});

    setBuiltInTasks({});
    connect(m_train, &QPushButton::clicked, this, [this] { Q_EMIT trainRequested(settings()); });
    connect(m_cancel, &QPushButton::clicked, this, &TrainingPanel::cancelRequested);
    connect(m_objective, &QComboBox::currentIndexChanged, this, &TrainingPanel::updateEnabled);
    connect(m_useTarget, &QCheckBox::toggled, this, &TrainingPanel::updateEnabled);
    connect(m_task, &QComboBox::activated, this, [this] {
        if (m_task->currentData().toString().isEmpty()) Q_EMIT chooseTaskFileRequested();
    });
    setRunning(false);
    return scroll;
}

void TrainingPanel::updateEnabled() {
    const bool preserve = m_objective->currentData().toString() == QLatin1String("preserve");
    m_task->setEnabled(!preserve);
    m_preserve->setEnabled(preserve);
    m_lambda->setEnabled(!m_useTarget->isChecked());
    m_targetKept->setEnabled(m_useTarget->isChecked());
}

void TrainingPanel::setBuiltInTasks(const QStringList& tasks) {
    const QString current = m_task->currentData().toString();
    m_task->clear();
    m_task->addItem(tr("Chosen images and labels"), kImagesTask);
    for (const auto& t : tasks) m_task->addItem(t, t);
    m_task->addItem(tr("Task file\u2026"), QString());
    selectValue(m_task, current.isEmpty() ? (tasks.isEmpty() ? kImagesTask : tasks.first()) : current);
}

void TrainingPanel::setDefaultPreserve(const QString& target) {
    if (m_preserve->text().isEmpty()) m_preserve->setText(target);
}

TrainSettings TrainingPanel::settings() const {
    TrainSettings s;
    s.method = currentChoice(m_method, engine::parseMaskMethod, s.method);
    s.granularity = currentChoice(m_granularity, engine::parseGranularity, s.granularity);
    s.layers = m_layers->text().trimmed();
    const QString task = m_task->currentData().toString();
    s.task = task == kImagesTask ? QString() : task;
    if (m_objective->currentData().toString() == QLatin1String("preserve")) s.preserve = m_preserve->text().trimmed();
    s.lambda = m_lambda->value();
    s.targetKept = m_useTarget->isChecked() ? m_targetKept->value() / 100.0 : 0.0;
    s.epochs = m_epochs->value();
    return s;
}

void TrainingPanel::setSettings(const TrainSettings& s) {
    selectChoice(m_method, s.method);
    selectChoice(m_granularity, s.granularity);
    m_layers->setText(s.layers);
    if (!s.task.isEmpty() && m_task->findData(s.task) < 0)  // a task file: listed by name
        m_task->insertItem(m_task->count() - 1, QFileInfo(s.task).fileName(), s.task);
    selectValue(m_task, s.task.isEmpty() ? kImagesTask : s.task);
    selectValue(m_objective, s.preserve.isEmpty() ? QStringLiteral("task") : QStringLiteral("preserve"));
    if (!s.preserve.isEmpty()) m_preserve->setText(s.preserve);
    m_lambda->setValue(s.lambda);
    m_useTarget->setChecked(s.targetKept > 0);
    if (s.targetKept > 0) m_targetKept->setValue(100.0 * s.targetKept);
    m_epochs->setValue(s.epochs);
    updateEnabled();
}

void TrainingPanel::clearSteps() {
    m_steps.clear();
    for (Chart* chart : {m_loss, m_kept, m_temperature}) {
        chart->graph(0)->data()->clear();
        chart->replot();
    }
}

void TrainingPanel::addSteps(const std::vector<engine::MaskStep>& steps) {
    for (const auto& s : steps) {
        m_steps.push_back(s);
        m_loss->graph(0)->addData(double(s.step), s.loss);
        m_kept->graph(0)->addData(double(s.step), s.fractionKept);
        m_temperature->graph(0)->addData(double(s.step), s.temperature);
    }
    for (Chart* chart : {m_loss, m_kept, m_temperature}) {
        chart->xAxis->setRange(0, std::max<double>(1.0, m_steps.empty() ? 1.0 : double(m_steps.back().step)));
        if (chart != m_kept) chart->graph(0)->rescaleValueAxis(false, true);
        chart->replot(QCustomPlot::rpQueuedReplot);
    }
}

void TrainingPanel::setRunning(bool running) {
    m_train->setEnabled(!running);
    m_cancel->setEnabled(running);
    if (running) m_result->setText(tr("Training\u2026"));
}

void TrainingPanel::setResult(const QString& text) { m_result->setText(text); }
QString TrainingPanel::resultText() const { return m_result->text(); }

QString TrainingPanel::csv() const {
    QString out = QStringLiteral("step,epoch,loss,l0,fraction_kept,temperature,lambda\n");
    for (const auto& s : m_steps)
        out += QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n")
                   .arg(s.step)
                   .arg(s.epoch)
                   .arg(s.loss, 0, 'g', 9)
                   .arg(s.l0, 0, 'g', 9)
                   .arg(s.fractionKept, 0, 'g', 9)
                   .arg(s.temperature, 0, 'g', 9)
                   .arg(s.lambda, 0, 'g', 9);
    return out;
}

}  // namespace cx::widgets
