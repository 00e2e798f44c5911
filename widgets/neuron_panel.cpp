#include "widgets/neuron_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QSvgRenderer>
#include <QTableWidget>
#include <QTabWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace cx::widgets {
namespace {

QDoubleSpinBox* fraction(QWidget* parent, double value, const QString& tip) {
    auto* box = new QDoubleSpinBox(parent);
    box->setRange(0.0, 1.0);
    box->setSingleStep(0.05);
    box->setDecimals(2);
    box->setValue(value);
    box->setToolTip(tip);
    return box;
}

QSpinBox* count(QWidget* parent, int low, int high, int value, const QString& tip) {
    auto* box = new QSpinBox(parent);
    box->setRange(low, high);
    box->setValue(value);
    box->setToolTip(tip);
    return box;
}

}  // namespace

NeuronPanel::NeuronPanel(QWidget* parent) : QWidget(parent) {
    m_layer = new QComboBox(this);
    m_layer->setToolTip(tr("A linear layer: its output units at every position are the neurons"));
    m_layer->setMinimumContentsLength(14);
    m_corpus = new QLineEdit(this);
    m_corpus->setToolTip(tr("A text file or a folder of them: fortune files give a document per entry, other text one per paragraph"));
    m_tokenizer = new QLineEdit(this);
    m_tokenizer->setToolTip(tr("The model's tokenizer: a tokenizer.json (BPE, WordPiece or word level) or BERT's vocab.txt"));
    for (QLineEdit* path : {m_corpus, m_tokenizer}) path->setMinimumWidth(80);
    m_rank = new QPushButton(tr("Rank neurons"), this);
    m_rank->setToolTip(tr("Read the whole corpus once and rank every neuron of the layer by its largest value"));
    auto* files = new QHBoxLayout;
    files->addWidget(new QLabel(tr("Layer"), this));
    files->addWidget(m_layer);
    files->addWidget(new QLabel(tr("Corpus"), this));
    files->addWidget(m_corpus, 2);
    files->addWidget(new QLabel(tr("Tokenizer"), this));
    files->addWidget(m_tokenizer, 2);
    files->addWidget(m_rank);

    m_keep = fraction(this, 0.6, tr("Minimal examples: the drop of the anchor's value a substring may have (the seed's x)"));
    m_window = count(this, 0, 64, 0, tr("Minimal examples: tokens always kept either side of the anchor"));
    m_examples = count(this, 1, 50, 3, tr("Minimal examples: how many of the top examples are pruned and searched"));
    m_mae = new QPushButton(tr("Minimal examples"), this);
    m_mae->setToolTip(tr("Prune the neuron's top examples to their minimal activating examples"));
    m_mlm = new QLineEdit(this);
    m_mlm->setMinimumWidth(80);
    m_mlm->setToolTip(tr("A TorchScript masked language model reading the same tokenizer: the source of substitutes"));
    m_positive = fraction(this, 0.4, tr("A substitute whose drop is below this is a positive example (the seed's y)"));
    m_negative = fraction(this, 0.7, tr("A substitute whose drop is above this is a negative example (the seed's z)"));
    m_topN = count(this, 1, 100, 10, tr("Substitutes per token"));
    m_search = new QPushButton(tr("Local search"), this);
    m_search->setToolTip(tr("Mask each word of the minimal examples in turn, put the masked model's substitutes in, read the neuron"));
    m_circuitSparsity = fraction(this, 0.05, tr("The neuron's circuit: the fraction of the weights that can reach it that is kept"));
    m_circuitSparsity->setRange(0.001, 1.0);
    m_circuitSparsity->setDecimals(3);
    m_circuitSparsity->setSingleStep(0.01);
    m_findCircuit = new QPushButton(tr("Find circuit"), this);
    m_findCircuit->setToolTip(tr("Prune the weights that matter for the neuron on its top examples (ActGrad, max over positions), "
                                 "then read its examples again in the circuit"));
    m_showCircuit = new QPushButton(tr("Show in Circuit tab"), this);
    m_showCircuit->setToolTip(tr("Draw the neuron's circuit as a diagram"));
    m_showCircuit->setEnabled(false);
    auto* prune = new QHBoxLayout;
    prune->addWidget(new QLabel(tr("Examples"), this));
    prune->addWidget(m_examples);
    prune->addWidget(new QLabel(tr("Drop allowed"), this));
    prune->addWidget(m_keep);
    prune->addWidget(new QLabel(tr("Window"), this));
    prune->addWidget(m_window);
    prune->addWidget(m_mae);
    prune->addSpacing(16);
    prune->addWidget(new QLabel(tr("Circuit kept"), this));
    prune->addWidget(m_circuitSparsity);
    prune->addWidget(m_findCircuit);
    prune->addWidget(m_showCircuit);
    prune->addStretch(1);
    auto* search = new QHBoxLayout;
    search->addWidget(new QLabel(tr("Masked LM"), this));
    search->addWidget(m_mlm, 2);
    search->addWidget(new QLabel(tr("Positive <"), this));
    search->addWidget(m_positive);
    search->addWidget(new QLabel(tr("Negative >"), this));
    search->addWidget(m_negative);
    search->addWidget(new QLabel(tr("Top"), this));
    search->addWidget(m_topN);
    search->addWidget(m_search);

    m_caption = new QLabel(this);
    m_caption->setWordWrap(true);
    m_neurons = new QTableWidget(0, 3, this);
    m_neurons->setHorizontalHeaderLabels({tr("Neuron"), tr("Top value"), tr("On")});
    m_neurons->verticalHeader()->setVisible(false);
    m_neurons->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_neurons->setSelectionMode(QAbstractItemView::SingleSelection);
    m_neurons->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_neurons->horizontalHeader()->setStretchLastSection(true);
    m_neurons->setMinimumWidth(220);
    m_pages = new QTabWidget(this);
    m_examplesView = new QTextBrowser(this);
    m_maeView = new QTextBrowser(this);
    m_searchView = new QTextBrowser(this);
    m_circuitView = new QTextBrowser(this);
    m_graph = new QLabel(this);
    m_graph->setAlignment(Qt::AlignCenter);
    auto* graphScroll = new QScrollArea(this);
    graphScroll->setWidget(m_graph);
    graphScroll->setWidgetResizable(true);
    m_pages->addTab(m_examplesView, tr("Top examples"));
    m_pages->addTab(m_maeView, tr("Minimal examples"));
    m_pages->addTab(m_searchView, tr("Positives and negatives"));
    m_pages->addTab(graphScroll, tr("Behaviour graph"));
    m_pages->addTab(m_circuitView, tr("Circuit"));
    auto* split = new QSplitter(this);
    split->addWidget(m_neurons);
    split->addWidget(m_pages);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(files);
    layout->addLayout(prune);
    layout->addLayout(search);
    layout->addWidget(m_caption);
    layout->addWidget(split, 1);
    setCaption(tr("Open a language model (a TorchScript model of token ids) with its tokenizer, choose a layer and a corpus, and "
                  "press Rank neurons."));
    connect(m_rank, &QPushButton::clicked, this, &NeuronPanel::rankRequested);
    connect(m_mae, &QPushButton::clicked, this, &NeuronPanel::minimalExamplesRequested);
    connect(m_search, &QPushButton::clicked, this, &NeuronPanel::searchRequested);
    connect(m_findCircuit, &QPushButton::clicked, this, &NeuronPanel::circuitRequested);
    connect(m_showCircuit, &QPushButton::clicked, this, &NeuronPanel::showCircuitRequested);
    connect(m_neurons, &QTableWidget::itemSelectionChanged, this, [this] {
        const int64_t unit = selectedNeuron();
        if (unit >= 0) Q_EMIT neuronSelected(unit);
    });
}

void NeuronPanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    Q_EMIT shown();
}

void NeuronPanel::setLayers(const QStringList& layers, const QString& current) {
    m_layer->clear();
    m_layer->addItems(layers);
    if (layers.contains(current)) m_layer->setCurrentText(current);
}

QString NeuronPanel::layer() const { return m_layer->currentText(); }

void NeuronPanel::setPaths(const NeuronPaths& paths) {
    m_tokenizer->setText(paths.tokenizer);
    m_corpus->setText(paths.corpus);
    m_mlm->setText(paths.mlm);
}

NeuronPaths NeuronPanel::paths() const { return {m_tokenizer->text().trimmed(), m_corpus->text().trimmed(), m_mlm->text().trimmed()}; }

SearchSettings NeuronPanel::settings() const {
    return {m_keep->value(),  m_window->value(),   m_positive->value(),       m_negative->value(),
            m_topN->value(), m_examples->value(), m_circuitSparsity->value()};
}

void NeuronPanel::setCircuitSparsity(double sparsity) { m_circuitSparsity->setValue(sparsity); }

void NeuronPanel::setBusy(bool busy) {
    for (QWidget* w : std::initializer_list<QWidget*>{m_rank, m_mae, m_search, m_findCircuit, m_layer}) w->setEnabled(!busy);
}

void NeuronPanel::setCaption(const QString& caption) { m_caption->setText(caption); }
QString NeuronPanel::caption() const { return m_caption->text(); }

void NeuronPanel::setNeurons(const std::vector<NeuronRow>& rows) {
    m_rows = rows;
    const QSignalBlocker block(m_neurons);
    m_neurons->setRowCount(int(rows.size()));
    for (int r = 0; r < int(rows.size()); ++r) {
        auto* unit = new QTableWidgetItem(QString::number(rows[size_t(r)].unit));
        unit->setData(Qt::UserRole, qlonglong(rows[size_t(r)].unit));
        m_neurons->setItem(r, 0, unit);
        m_neurons->setItem(r, 1, new QTableWidgetItem(QString::number(rows[size_t(r)].top, 'f', 3)));
        m_neurons->setItem(r, 2, new QTableWidgetItem(rows[size_t(r)].anchor));
    }
    m_neurons->resizeColumnsToContents();
    setExamples({});
    setMinimalExamples({});
    setSearch({}, {});
    setCircuit({}, false);
    if (!rows.empty()) {
        m_neurons->selectRow(0);
        Q_EMIT neuronSelected(rows.front().unit);
    }
}

int NeuronPanel::neuronCount() const { return m_neurons->rowCount(); }

int64_t NeuronPanel::selectedNeuron() const {
    const auto rows = m_neurons->selectionModel()->selectedRows();
    if (rows.isEmpty()) return -1;
    return m_neurons->item(rows.first().row(), 0)->data(Qt::UserRole).toLongLong();
}

void NeuronPanel::selectNeuron(int64_t unit) {
    for (int r = 0; r < m_neurons->rowCount(); ++r)
        if (m_neurons->item(r, 0)->data(Qt::UserRole).toLongLong() == unit) m_neurons->selectRow(r);
}

void NeuronPanel::setExamples(const QString& html) { m_examplesView->setHtml(html); }
void NeuronPanel::setMinimalExamples(const QString& html) { m_maeView->setHtml(html); }

void NeuronPanel::setSearch(const QString& html, const QByteArray& graphSvg) {
    m_searchView->setHtml(html);
    m_graphSvg = graphSvg;
    if (graphSvg.isEmpty()) {
        m_graph->setPixmap({});
        m_graph->setText(tr("The behaviour graph appears after a local search."));
        return;
    }
    QSvgRenderer renderer(graphSvg);
    const qreal ratio = devicePixelRatioF();
    QPixmap pixmap((renderer.defaultSize() * ratio * 1.25).expandedTo(QSize(1, 1)));
    pixmap.setDevicePixelRatio(ratio);
    pixmap.fill(Qt::white);
    QPainter painter(&pixmap);
    renderer.render(&painter, QRectF(QPointF(0, 0), QSizeF(renderer.defaultSize()) * 1.25));
    painter.end();
    m_graph->setPixmap(pixmap);
}

QString NeuronPanel::examplesText() const { return m_examplesView->toPlainText(); }
QString NeuronPanel::minimalExamplesText() const { return m_maeView->toPlainText(); }
QString NeuronPanel::searchText() const { return m_searchView->toPlainText(); }
QString NeuronPanel::circuitText() const { return m_circuitView->toPlainText(); }

void NeuronPanel::setCircuit(const QString& html, bool canShow) {
    m_circuitView->setHtml(html);
    m_showCircuit->setEnabled(canShow);
}
void NeuronPanel::showPage(int page) { m_pages->setCurrentIndex(page); }

}  // namespace cx::widgets
