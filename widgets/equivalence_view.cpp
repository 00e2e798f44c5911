#include "widgets/equivalence_view.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include "widgets/chart.h"
#include "widgets/diagram_view.h"

namespace cx::widgets {

EquivalenceView::EquivalenceView(QWidget* parent) : QWidget(parent) {
    m_a = new QComboBox(this);
    m_b = new QComboBox(this);
    for (QComboBox* box : {m_a, m_b}) box->setMinimumContentsLength(18);
    m_a->setToolTip(tr("Circuit A: whose units are looked for"));
    m_b->setToolTip(tr("Circuit B: where they are looked for"));
    m_mode = new QComboBox(this);
    m_mode->addItems({tr("Same inputs"), tr("Up to a permutation")});
    m_mode->setToolTip(tr("Same inputs: two circuits of one model. Up to a permutation: any pairing of the inputs, found and verified"));
    m_contains = new QCheckBox(tr("A inside B"), this);
    m_contains->setChecked(true);
    m_contains->setToolTip(tr("Read B's units with only A's inputs on (the others off), so a unit is found inside a larger one; "
                              "off: the same function over all inputs"));
    m_run = new QPushButton(tr("Find equivalents"), this);
    m_run->setToolTip(tr("Enumerate each unit's excited input subsets and match A's units one to one with equivalent units of B"));
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("A"), this));
    bar->addWidget(m_a, 1);
    bar->addWidget(new QLabel(tr("in B"), this));
    bar->addWidget(m_b, 1);
    bar->addWidget(m_mode);
    bar->addWidget(m_contains);
    bar->addWidget(m_run);
    m_caption = new QLabel(this);
    m_caption->setWordWrap(true);
    m_table = new QTableWidget(0, 5, this);
    m_table->setHorizontalHeaderLabels({tr("Layer"), tr("Unit of A"), tr("Its equivalent in B"), tr("Signature"), tr("Inputs (A -> B)")});
    m_table->verticalHeader()->setVisible(false);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    auto* diagrams = new QSplitter(this);
    for (int side = 0; side < 2; ++side) {
        auto* box = new QWidget(this);
        auto* column = new QVBoxLayout(box);
        column->setContentsMargins(0, 0, 0, 0);
        m_titles[side] = new QLabel(side == 0 ? tr("A") : tr("B"), box);
        m_views[side] = new DiagramView(box);
        column->addWidget(m_titles[side]);
        column->addWidget(m_views[side], 1);
        diagrams->addWidget(box);
    }
    // Seed 004's strings: one layer's unit pairs as a colour map (A's units down, B's across).
    auto* similarity = new QWidget(this);
    auto* simLayout = new QVBoxLayout(similarity);
    simLayout->setContentsMargins(0, 0, 0, 0);
    m_similarityLayer = new QComboBox(similarity);
    m_similarityLayer->setToolTip(tr("The layer whose units' strings are compared"));
    auto* simBar = new QHBoxLayout;
    simBar->addWidget(new QLabel(tr("String similarity of every unit pair (1: the same tokens) in"), similarity));
    simBar->addWidget(m_similarityLayer);
    simBar->addStretch(1);
    m_similarityChart = new Chart(similarity);
    m_similarityMap = new QCPColorMap(m_similarityChart->xAxis, m_similarityChart->yAxis);
    m_similarityMap->setInterpolate(false);
    auto* scale = new QCPColorScale(m_similarityChart);
    m_similarityChart->plotLayout()->addElement(0, 1, scale);
    m_similarityMap->setColorScale(scale);  // the scale's gradient becomes the map's: set it after
    QCPColorGradient ramp;
    ramp.setColorStopAt(0.0, QColor(247, 247, 247));
    ramp.setColorStopAt(1.0, QColor(180, 4, 38));
    scale->setGradient(ramp);
    m_similarityChart->xAxis->setLabel(tr("units of B"));
    m_similarityChart->yAxis->setLabel(tr("units of A"));
    m_similarityChart->yAxis->setRangeReversed(true);
    simLayout->addLayout(simBar);
    simLayout->addWidget(m_similarityChart, 1);
    m_pages = new QTabWidget(this);
    m_pages->addTab(m_table, tr("Matching"));
    m_pages->addTab(similarity, tr("Strings"));
    connect(m_similarityLayer, &QComboBox::currentIndexChanged, this, &EquivalenceView::showSimilarityLayer);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_pages);
    split->addWidget(diagrams);
    split->setStretchFactor(1, 3);
    split->setSizes({170, 430});
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_caption);
    layout->addWidget(split, 1);
    setCircuits({}, {});
    setCaption(tr("Pick two circuits (from the Masks list) and press Find equivalents: seed 004's excited states, exact up to "
                  "24 relevant inputs, approximate (and said so) past them."));
    connect(m_run, &QPushButton::clicked, this, &EquivalenceView::runRequested);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        const auto rows = m_table->selectionModel()->selectedRows();
        showRow(rows.isEmpty() ? -1 : rows.first().row());
    });
}

void EquivalenceView::setCircuits(const QStringList& names, const QStringList& paths) {
    for (QComboBox* box : {m_a, m_b}) {
        const QString current = box->currentData().toString();
        box->clear();
        box->addItem(tr("the model"), QString());
        for (int i = 0; i < names.size() && i < paths.size(); ++i) box->addItem(names[i], paths[i]);
        const int at = box->findData(current);
        if (at >= 0) box->setCurrentIndex(at);
    }
}

void EquivalenceView::setSettings(const EquivalenceSettings& s) {
    m_a->setCurrentIndex(std::max(0, m_a->findData(s.maskA)));
    m_b->setCurrentIndex(std::max(0, m_b->findData(s.maskB)));
    m_mode->setCurrentIndex(s.permuted ? 1 : 0);
    m_contains->setChecked(s.contains);
}

EquivalenceSettings EquivalenceView::settings() const {
    return {m_a->currentData().toString(), m_b->currentData().toString(), m_mode->currentIndex() == 1, m_contains->isChecked()};
}

void EquivalenceView::setBusy(bool busy) { m_run->setEnabled(!busy); }
void EquivalenceView::setCaption(const QString& caption) { m_caption->setText(caption); }
QString EquivalenceView::caption() const { return m_caption->text(); }

void EquivalenceView::setRows(const std::vector<EquivalenceRow>& rows) {
    m_rows = rows;
    const QSignalBlocker block(m_table);
    m_table->setRowCount(int(rows.size()));
    for (int r = 0; r < int(rows.size()); ++r) {
        const auto& row = rows[size_t(r)];
        const QStringList cells = {row.layer, row.unitA, row.unitB, row.exact ? tr("exact") : tr("approximate"), row.inputs};
        for (int c = 0; c < cells.size(); ++c) m_table->setItem(r, c, new QTableWidgetItem(cells[c]));
    }
    m_table->setColumnHidden(4, std::all_of(rows.begin(), rows.end(), [](const auto& r) { return r.inputs.isEmpty(); }));
    m_table->resizeColumnsToContents();
}

int EquivalenceView::rowCount() const { return m_table->rowCount(); }

void EquivalenceView::setDiagram(int side, const engine::CircuitDiagram& diagram, const std::set<std::string>& lit, const QString& note) {
    if (side < 0 || side > 1) return;
    m_lit[side] = lit;
    if (diagram.nodes.empty()) {
        m_views[side]->clear();
    } else {
        m_views[side]->setDiagram(diagram);
        m_views[side]->lightUnits(lit);
    }
    const QString name = (side == 0 ? m_a : m_b)->currentText();
    m_titles[side]->setText((side == 0 ? tr("A, %1").arg(name) : tr("B, %1").arg(name)) +
                            (note.isEmpty() ? tr(": the matched units lit, the others faded") : QStringLiteral(": ") + note));
}

DiagramView* EquivalenceView::diagram(int side) const { return m_views[side == 0 ? 0 : 1]; }

void EquivalenceView::selectRow(int row) { m_table->selectRow(row); }

void EquivalenceView::showRow(int row) {
    if (row < 0 || row >= int(m_rows.size())) {
        for (int side = 0; side < 2; ++side) m_views[side]->lightUnits(m_lit[side]);
        return;
    }
    m_views[0]->findUnit(m_rows[size_t(row)].unitA);
    m_views[1]->findUnit(m_rows[size_t(row)].unitB);
}

void EquivalenceView::setSimilarity(const std::vector<SimilarityLayer>& layers) {
    m_similarity = layers;
    m_shownSimilarity = -1;
    {
        const QSignalBlocker block(m_similarityLayer);
        m_similarityLayer->clear();
        for (const auto& l : layers) m_similarityLayer->addItem(l.layer);
    }
    // The layer with the most pairs first: the matrix with the most to show.
    int largest = -1;
    for (int i = 0; i < int(layers.size()); ++i)
        if (largest < 0 || layers[size_t(i)].values.size() > layers[size_t(largest)].values.size()) largest = i;
    showSimilarityLayer(largest);
    if (largest >= 0) m_similarityLayer->setCurrentIndex(largest);
}

const SimilarityLayer* EquivalenceView::shownSimilarity() const {
    return m_shownSimilarity >= 0 && m_shownSimilarity < int(m_similarity.size()) ? &m_similarity[size_t(m_shownSimilarity)] : nullptr;
}

void EquivalenceView::showSimilarityLayer(int index) {
    m_similarityMap->data()->clear();
    m_shownSimilarity = index >= 0 && index < int(m_similarity.size()) ? index : -1;
    const SimilarityLayer* l = shownSimilarity();
    if (!l || l->unitsA.isEmpty() || l->unitsB.isEmpty()) return m_similarityChart->replot();
    const int rows = int(l->unitsA.size()), columns = int(l->unitsB.size());
    m_similarityMap->data()->setSize(columns, rows);
    m_similarityMap->data()->setRange(QCPRange(0, columns - 1), QCPRange(0, rows - 1));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < columns; ++c) m_similarityMap->data()->setCell(c, r, l->values[size_t(r * columns + c)]);
    m_similarityMap->setDataRange(QCPRange(0.0, 1.0));
    m_similarityChart->xAxis->setRange(-0.5, columns - 0.5);
    m_similarityChart->yAxis->setRange(-0.5, rows - 0.5);
    m_similarityChart->replot();
}

}  // namespace cx::widgets
