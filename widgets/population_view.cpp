#include "widgets/population_view.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImage>
#include <QPixmap>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QTableWidget>
#include <QToolTip>
#include <QVBoxLayout>

#include "engine/pruning/curve_csv.h"
#include "widgets/chart.h"
#include "widgets/curve_view.h"

namespace cx::widgets {
namespace {

using engine::CurvePoint;


// A table cell that sorts by its number, not by its text.
class NumberItem : public QTableWidgetItem {
public:
    NumberItem(double value, const QString& text) : QTableWidgetItem(text) {
        setData(Qt::UserRole, value);
        setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        setFlags(flags() & ~Qt::ItemIsEditable);
    }
    bool operator<(const QTableWidgetItem& other) const override {
        return data(Qt::UserRole).toDouble() < other.data(Qt::UserRole).toDouble();
    }
};

bool sameLevel(double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b)); }

}  // namespace

PopulationView::PopulationView(QWidget* parent) : QWidget(parent) {
    m_curves = new Chart(this);
    m_curves->xAxis->setScaleType(QCPAxis::stLogarithmic);
    m_curves->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    m_curves->xAxis->setNumberFormat(QStringLiteral("gb"));
    m_curves->xAxis->setLabel(tr("fraction of relevant kernels kept"));
    m_curves->xAxis->setRange(0.0008, 1.0);
    m_curves->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    m_curves->setMouseTracking(true);
    m_histogram = new Chart(this);
    m_histogram->yAxis->setLabel(tr("units"));
    m_histogram->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignHCenter);  // units pile up at the ends
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_curves->legend->setFont(small);
    m_histogram->legend->setFont(small);

    m_table = new QTableWidget(this);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(std::max(fontMetrics().height() + 6, 30));
    m_table->setIconSize(QSize(26, 26));
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->setToolTip(tr("Click a header to sort; double-click a unit to open its circuit (by the column's criterion)"));

    m_caption = new QLabel(tr("A population: choose a layer and its units, then Run (or open a CSV from cx sweep --units)"), this);
    m_caption->setWordWrap(true);
    m_caption->setMinimumWidth(60);

    auto* curvesExport = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export\u2026"), this);
    curvesExport->setToolTip(tr("The median curves as PNG, SVG or PDF; as CSV every unit's points (what cx sweep --units writes)"));
    auto* histogramExport = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export\u2026"), this);
    histogramExport->setToolTip(tr("The histogram as PNG, SVG or PDF; as CSV each unit's value at this sparsity"));
    m_sparsityBox = new QComboBox(this);
    m_sparsityBox->setToolTip(tr("The sparsity of the histogram and the table"));

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* leftBar = new QHBoxLayout;
    leftBar->addWidget(new QLabel(tr("<b>Median over units</b> (band: interquartile range)"), left));
    leftBar->addStretch(1);
    leftBar->addWidget(curvesExport);
    leftLayout->addLayout(leftBar);
    leftLayout->addWidget(m_curves, 1);

    auto* right = new QSplitter(Qt::Vertical, this);
    auto* top = new QWidget(right);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    auto* topBar = new QHBoxLayout;
    topBar->addWidget(new QLabel(tr("<b>Distribution</b> at"), top));
    topBar->addWidget(m_sparsityBox);
    topBar->addWidget(new QLabel(tr("kept"), top));
    topBar->addStretch(1);
    topBar->addWidget(histogramExport);
    topLayout->addLayout(topBar);
    topLayout->addWidget(m_histogram, 1);
    right->addWidget(top);
    right->addWidget(m_table);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addWidget(m_caption);
    layout->addWidget(split, 1);

    connect(m_sparsityBox, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i < 0) return;
        m_sparsity = m_sparsityBox->itemData(i).toDouble();
        rebuildHistogram();
        rebuildTable();
    });
    connect(curvesExport, &QPushButton::clicked, this,
            [this] { exportChartWithDialog(this, m_curves, QStringLiteral("population-curves.png"), pointsCsv()); });
    connect(histogramExport, &QPushButton::clicked, this,
            [this] { exportChartWithDialog(this, m_histogram, QStringLiteral("population-distribution.png"), valuesCsv()); });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, &PopulationView::openRow);
    connect(m_curves, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        const int i = medianNear(event->position());
        if (i < 0) return QToolTip::hideText();
        QToolTip::showText(event->globalPosition().toPoint(), describeMedian(i), m_curves);
    });
    connect(m_curves, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {  // a level picks the histogram's sparsity
        const int i = medianNear(event->position());
        if (i >= 0 && event->button() == Qt::LeftButton) setSparsity(m_quartiles[size_t(i)].sparsity);
    });
    rebuild();
}

QWidget* PopulationView::buildControls() {
    // Two rows, so that the tab fits beside the docks on a laptop screen.
    auto* bar = new QWidget(this);
    auto* rows = new QVBoxLayout(bar);
    rows->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    auto* second = new QHBoxLayout;
    rows->addLayout(row);
    rows->addLayout(second);
    m_layer = new QComboBox(bar);
    m_layer->setMinimumContentsLength(14);
    m_layer->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_layer->setToolTip(tr("The layer whose units are the population"));
    m_units = new QLineEdit(QStringLiteral("all"), bar);
    m_units->setMaximumWidth(110);
    m_units->setToolTip(tr("Units of the layer: all, 0-47, 3,7,9 or 0-3,8"));
    row->addWidget(new QLabel(tr("Layer"), bar));
    row->addWidget(m_layer);
    row->addWidget(new QLabel(tr("Units"), bar));
    row->addWidget(m_units);
    for (const engine::Criterion criterion : engine::allCriteria()) {
        auto* box = new QCheckBox(CurveView::criterionLabel(criterion), bar);
        box->setProperty("criterion", int(criterion));
        box->setChecked(criterion != engine::Criterion::Force);  // FORCE is iterative per unit: the slow one
        m_criteria.push_back(box);
        second->addWidget(box);
    }
    m_run = new QPushButton(tr("Run"), bar);
    m_run->setToolTip(tr("Preservation curves of every unit (13 sparsities per criterion), forward passes shared"));
    auto* open = new QPushButton(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("Open CSV\u2026"), bar);
    open->setToolTip(tr("Show a population CSV (cx sweep --units, or cx merge of cluster shards) as units of the chosen layer"));
    m_metricBox = new QComboBox(bar);
    m_metricBox->addItem(tr("|Pearson r|"));
    m_metricBox->addItem(tr("\u0394f-norm"));
    row->addWidget(m_run);
    row->addWidget(open);
    row->addStretch(1);
    second->addStretch(1);
    second->addWidget(new QLabel(tr("Show"), bar));
    second->addWidget(m_metricBox);
    connect(m_run, &QPushButton::clicked, this, [this] { Q_EMIT runRequested(layer(), units(), criteria()); });
    connect(m_units, &QLineEdit::returnPressed, m_run, &QPushButton::click);
    connect(open, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a population CSV"), QString(), tr("CSV (*.csv)"));
        if (!path.isEmpty()) Q_EMIT openCsvRequested(path);
    });
    connect(m_metricBox, &QComboBox::currentIndexChanged, this, [this](int i) { setMetric(engine::CurveMetric(i)); });
    return bar;
}

void PopulationView::setLayers(const QStringList& layers) {
    const QString current = m_layer->currentText();
    m_layer->clear();
    m_layer->addItems(layers);
    if (layers.contains(current)) m_layer->setCurrentText(current);
}

bool PopulationView::setLayer(const QString& layer) {
    const int i = m_layer->findText(layer);
    if (i < 0) return false;
    m_layer->setCurrentIndex(i);
    return true;
}

QString PopulationView::layer() const { return m_layer->currentText(); }
QString PopulationView::units() const { return m_units->text().trimmed(); }
void PopulationView::setUnits(const QString& spec) { m_units->setText(spec); }

std::vector<engine::Criterion> PopulationView::criteria() const {
    std::vector<engine::Criterion> out;
    for (auto* box : m_criteria)
        if (box->isChecked()) out.push_back(engine::Criterion(box->property("criterion").toInt()));
    return out;
}

void PopulationView::setCriteria(const std::vector<engine::Criterion>& criteria) {
    for (auto* box : m_criteria) {
        const auto c = engine::Criterion(box->property("criterion").toInt());
        box->setChecked(std::find(criteria.begin(), criteria.end(), c) != criteria.end());
    }
}

void PopulationView::clear() {
    m_points.clear();
    m_pictures.clear();
    m_shownLayer.clear();
    rebuild();
}

void PopulationView::setPoints(const std::vector<CurvePoint>& points, const QString& layer) {
    if (layer != m_shownLayer) m_pictures.clear();  // another layer's units
    m_points = points;
    m_shownLayer = layer;
    rebuild();
}

void PopulationView::addPoints(const std::vector<CurvePoint>& points) {
    for (const auto& p : points) {
        auto same = std::find_if(m_points.begin(), m_points.end(), [&](const CurvePoint& q) {
            return q.unit == p.unit && q.criterion == p.criterion && q.sparsity == p.sparsity;
        });
        if (same != m_points.end()) *same = p;
        else m_points.push_back(p);
    }
    rebuild();
}

void PopulationView::setPictures(const std::vector<engine::NodeImage>& pictures) {
    m_pictures = pictures;
    rebuildTable();
}

void PopulationView::setCaption(const QString& caption) { m_caption->setText(caption); }
void PopulationView::setBusy(bool busy) { m_run->setEnabled(!busy); }
bool PopulationView::isBusy() const { return !m_run->isEnabled(); }

void PopulationView::setMetric(engine::CurveMetric metric) {
    m_metric = metric;
    if (m_metricBox->currentIndex() != int(metric)) m_metricBox->setCurrentIndex(int(metric));
    rebuild();
}

bool PopulationView::setSparsity(double sparsity) {
    for (int i = 0; i < m_sparsityBox->count(); ++i)
        if (sameLevel(m_sparsityBox->itemData(i).toDouble(), sparsity)) {
            m_sparsityBox->setCurrentIndex(i);
            m_sparsity = m_sparsityBox->itemData(i).toDouble();
            return true;
        }
    return false;
}

std::vector<engine::Criterion> PopulationView::shownCriteria() const {
    auto shown = engine::criteriaOf(m_points);
    std::sort(shown.begin(), shown.end(), [](auto a, auto b) { return CurveView::criterionIndex(a) < CurveView::criterionIndex(b); });
    return shown;
}

engine::Criterion PopulationView::criterionOfColumn(int column) const {
    const auto shown = shownCriteria();
    if (shown.empty()) return engine::Criterion::ActGrad;
    return shown[size_t(std::clamp(column - 1, 0, int(shown.size()) - 1))];
}

void PopulationView::openRow(int row, int column) {
    if (row < 0 || row >= m_table->rowCount() || m_shownLayer.isEmpty()) return;
    const int64_t unit = m_table->item(row, 0)->data(Qt::UserRole).toLongLong();
    Q_EMIT unitOpened(m_shownLayer + QLatin1Char(':') + QString::number(unit), criterionOfColumn(column), m_sparsity);
}

void PopulationView::rebuild() {
    m_quartiles = engine::populationQuartiles(m_points, m_metric);
    rebuildSparsities();
    rebuildCurves();
    rebuildHistogram();
    rebuildTable();
}

void PopulationView::rebuildSparsities() {
    auto levels = engine::sparsitiesOf(m_points);
    std::sort(levels.begin(), levels.end(), std::greater<>());
    bool same = int(levels.size()) == m_sparsityBox->count();
    for (size_t i = 0; same && i < levels.size(); ++i) same = m_sparsityBox->itemData(int(i)).toDouble() == levels[i];
    if (same) return;
    const double wanted = m_sparsity;
    const QSignalBlocker block(m_sparsityBox);
    m_sparsityBox->clear();
    for (double level : levels) m_sparsityBox->addItem(QStringLiteral("%1%").arg(100.0 * level, 0, 'g', 3), level);
    if (levels.empty()) return;
    if (!setSparsity(wanted)) {  // the nearest level on the log scale
        const auto nearest = std::min_element(levels.begin(), levels.end(), [&](double a, double b) {
            return std::abs(std::log(a / wanted)) < std::abs(std::log(b / wanted));
        });
        setSparsity(*nearest);
        m_sparsity = *nearest;
    }
}

void PopulationView::rebuildCurves() {
    m_curves->clearGraphs();
    const auto& rows = m_quartiles;
    double yMax = 0;
    for (const engine::Criterion criterion : shownCriteria()) {
        std::vector<engine::PopulationQuartiles> line;
        for (const auto& r : rows)
            if (r.criterion == criterion) line.push_back(r);
        std::sort(line.begin(), line.end(), [](const auto& a, const auto& b) { return a.sparsity < b.sparsity; });
        const QColor colour = Chart::seriesColour(CurveView::criterionIndex(criterion));
        QColor band = colour;
        band.setAlpha(45);
        QCPGraph* low = m_curves->addGraph();
        low->setPen(QPen(band, 1));
        low->removeFromLegend();
        QCPGraph* high = m_curves->addGraph();
        high->setPen(QPen(band, 1));
        high->setBrush(band);
        high->setChannelFillGraph(low);
        high->removeFromLegend();
        QCPGraph* median = m_curves->addGraph();
        median->setName(CurveView::criterionLabel(criterion));
        median->setPen(QPen(colour, 2));
        median->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, colour, 6));
        for (const auto& r : line) {
            low->addData(r.sparsity, r.q1);
            high->addData(r.sparsity, r.q3);
            median->addData(r.sparsity, r.median);
            yMax = std::max(yMax, r.q3);
        }
    }
    const bool pearson = m_metric == engine::CurveMetric::Pearson;
    m_curves->yAxis->setLabel(pearson ? tr("median |Pearson r|") : tr("median \u0394f-norm"));
    m_curves->yAxis->setRange(0, pearson ? 1.05 : std::max(1.0, yMax * 1.05));
    m_curves->legend->setVisible(!m_points.empty());
    m_curves->replot();
}

double PopulationView::histogramTop() const {
    if (m_metric == engine::CurveMetric::Pearson) return 1.0;
    double top = 1.0;
    for (const auto& p : m_points)
        if (sameLevel(p.sparsity, m_sparsity)) top = std::max(top, p.dfnorm);
    return top;
}

std::vector<std::vector<int>> PopulationView::histogramCounts() const {
    const auto shown = shownCriteria();
    const double top = histogramTop();
    std::vector<std::vector<int>> counts(shown.size(), std::vector<int>(kBins, 0));
    for (const auto& p : m_points) {
        if (!sameLevel(p.sparsity, m_sparsity)) continue;
        const size_t c = size_t(std::find(shown.begin(), shown.end(), p.criterion) - shown.begin());
        const int bin = std::clamp(int(engine::metricOf(p, m_metric) / top * kBins), 0, kBins - 1);  // the top value: last bin
        ++counts[c][size_t(bin)];
    }
    return counts;
}

void PopulationView::rebuildHistogram() {
    m_histogram->clearPlottables();
    const auto shown = shownCriteria();
    const auto counts = histogramCounts();
    const double top = histogramTop(), width = top / kBins;
    auto* group = new QCPBarsGroup(m_histogram);
    group->setSpacing(0);
    int most = 1;
    for (size_t c = 0; c < shown.size(); ++c) {
        auto* bars = new QCPBars(m_histogram->xAxis, m_histogram->yAxis);
        const QColor colour = Chart::seriesColour(CurveView::criterionIndex(shown[c]));
        bars->setName(CurveView::criterionLabel(shown[c]));
        bars->setPen(QPen(colour.darker(120)));
        bars->setBrush(colour);
        bars->setWidth(width * 0.9 / double(shown.size()));
        bars->setBarsGroup(group);
        for (int b = 0; b < kBins; ++b) {
            bars->addData(width * (b + 0.5), counts[c][size_t(b)]);
            most = std::max(most, counts[c][size_t(b)]);
        }
    }
    const bool pearson = m_metric == engine::CurveMetric::Pearson;
    m_histogram->xAxis->setLabel(pearson ? tr("|Pearson r|") : tr("\u0394f-norm"));
    m_histogram->xAxis->setRange(0, top);
    m_histogram->yAxis->setRange(0, most * 1.1);
    m_histogram->legend->setVisible(!shown.empty());
    m_histogram->replot();
}

void PopulationView::rebuildTable() {
    const auto shown = shownCriteria();
    const auto units = engine::unitsOf(m_points);
    // (unit, criterion) -> the point at the chosen sparsity
    std::map<std::pair<int64_t, engine::Criterion>, const CurvePoint*> at;
    for (const auto& p : m_points)
        if (sameLevel(p.sparsity, m_sparsity)) at[{p.unit, p.criterion}] = &p;
    const bool first = m_table->columnCount() == 0;  // by unit until a header is clicked
    const int sortColumn = first ? 0 : m_table->horizontalHeader()->sortIndicatorSection();
    const Qt::SortOrder order = first ? Qt::AscendingOrder : m_table->horizontalHeader()->sortIndicatorOrder();
    m_table->setSortingEnabled(false);
    m_table->clear();
    m_table->setColumnCount(int(shown.size()) + 1);
    QStringList headers = {tr("Unit")};
    for (const auto c : shown) headers << CurveView::criterionLabel(c);
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setRowCount(int(units.size()));
    for (size_t r = 0; r < units.size(); ++r) {
        auto* unit = new NumberItem(double(units[r]), QString::number(units[r]));
        unit->setTextAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        if (units[r] >= 0 && size_t(units[r]) < m_pictures.size() && !m_pictures[size_t(units[r])].empty()) {
            const auto& p = m_pictures[size_t(units[r])];
            const QImage image(p.rgb.data(), p.width, p.height, 3 * p.width, QImage::Format_RGB888);
            unit->setIcon(QIcon(QPixmap::fromImage(image.scaled(52, 52, Qt::KeepAspectRatio, Qt::SmoothTransformation))));
        }
        m_table->setItem(int(r), 0, unit);
        for (size_t c = 0; c < shown.size(); ++c) {
            const auto it = at.find({units[r], shown[c]});
            if (it == at.end()) {
                m_table->setItem(int(r), int(c) + 1, new NumberItem(-1, QStringLiteral("\u2013")));
                continue;
            }
            const CurvePoint& p = *it->second;
            auto* item = new NumberItem(engine::metricOf(p, m_metric), QString::number(engine::metricOf(p, m_metric), 'f', 3));
            item->setToolTip(tr("%1 of %2 kernels kept (%3 effective)%4").arg(p.kept).arg(p.relevant).arg(p.effectiveKept)
                                 .arg(p.disconnected ? tr("; disconnected from the input") : QString()));
            m_table->setItem(int(r), int(c) + 1, item);
        }
    }
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(sortColumn < m_table->columnCount() ? sortColumn : 0, order);
}

int PopulationView::medianNear(const QPointF& pixel, double radius) const {
    int best = -1;
    double bestDistance = radius;
    for (size_t i = 0; i < m_quartiles.size(); ++i) {
        const QPointF at = pixelOfMedian(int(i));
        const double d = std::hypot(at.x() - pixel.x(), at.y() - pixel.y());
        if (d <= bestDistance) {
            bestDistance = d;
            best = int(i);
        }
    }
    return best;
}

QPointF PopulationView::pixelOfMedian(int index) const {
    const auto& r = m_quartiles[size_t(index)];
    return {m_curves->xAxis->coordToPixel(r.sparsity), m_curves->yAxis->coordToPixel(r.median)};
}

QString PopulationView::describeMedian(int index) const {
    const auto& r = m_quartiles[size_t(index)];
    return tr("<b>%1</b>, %2% kept, %3 units<br>median %4 (quartiles %5 \u2013 %6)<br><i>Click to see this level's distribution</i>")
        .arg(CurveView::criterionLabel(r.criterion))
        .arg(100.0 * r.sparsity, 0, 'g', 3)
        .arg(r.units)
        .arg(r.median, 0, 'f', 3)
        .arg(r.q1, 0, 'f', 3)
        .arg(r.q3, 0, 'f', 3);
}

QString PopulationView::pointsCsv() const { return QString::fromStdString(engine::curveCsv(m_points)); }

QString PopulationView::valuesCsv() const {
    std::ostringstream csv;
    csv.precision(9);
    csv << "unit,criterion,sparsity," << (m_metric == engine::CurveMetric::Pearson ? "pearson" : "dfnorm") << ",disconnected\n";
    for (const auto& p : m_points)
        if (sameLevel(p.sparsity, m_sparsity))
            csv << p.unit << ',' << engine::nameOf(p.criterion) << ',' << p.sparsity << ',' << engine::metricOf(p, m_metric) << ','
                << (p.disconnected ? 1 : 0) << '\n';
    return QString::fromStdString(csv.str());
}

}  // namespace cx::widgets
