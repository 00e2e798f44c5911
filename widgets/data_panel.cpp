#include "widgets/data_panel.h"

#include <algorithm>

#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace cx::widgets {
namespace {

constexpr int kThumb = 56;

// Sorts the activation column by value, not by text.
class UnitItem : public QTreeWidgetItem {
public:
    using QTreeWidgetItem::QTreeWidgetItem;
    bool operator<(const QTreeWidgetItem& other) const override {
        const int column = treeWidget() ? treeWidget()->sortColumn() : 0;
        return data(column, Qt::UserRole).toDouble() < other.data(column, Qt::UserRole).toDouble();
    }
};

}  // namespace

DataPanel::DataPanel(QWidget* parent) : QWidget(parent) {
    m_source = new QLabel(this);
    m_source->setWordWrap(true);
    auto* folder = new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), tr("Folder\u2026"), this);
    folder->setToolTip(tr("Images from a folder of PNG/JPEG files (class sub-folders allowed), resized and centre-cropped to 224"));
    auto* file = new QPushButton(style()->standardIcon(QStyle::SP_FileIcon), tr("File\u2026"), this);
    file->setToolTip(tr("A safetensors image file with key 'images' (N x C x H x W, preprocessed), e.g. from cx demo images"));
    auto* demo = new QPushButton(tr("Demo shapes"), this);
    demo->setToolTip(tr("256 procedurally drawn shapes, the demo CNN's data"));
    m_thumbs = new QListWidget(this);
    m_thumbs->setViewMode(QListView::IconMode);
    m_thumbs->setIconSize(QSize(kThumb, kThumb));
    m_thumbs->setFlow(QListView::LeftToRight);
    m_thumbs->setWrapping(true);
    m_thumbs->setResizeMode(QListView::Adjust);
    m_thumbs->setMovement(QListView::Static);
    m_thumbs->setSelectionMode(QAbstractItemView::NoSelection);
    m_thumbs->setMinimumHeight(kThumb + 28);

    m_unitsCaption = new QLabel(this);
    m_unitsCaption->setWordWrap(true);
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter units\u2026"));
    m_filter->setClearButtonEnabled(true);
    m_units = new QTreeWidget(this);
    m_units->setHeaderLabels({tr("Unit"), tr("Mean activation")});
    m_units->setRootIsDecorated(false);
    m_units->setIconSize(QSize(28, 28));
    m_units->setSortingEnabled(true);
    m_units->setToolTip(tr("Double-click a unit to make it the circuit's target"));
    m_units->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(folder);
    buttons->addWidget(file);
    buttons->addWidget(demo);
    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(buttons);
    topLayout->addWidget(m_source);
    topLayout->addWidget(m_thumbs, 1);
    auto* bottom = new QWidget(this);
    auto* bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addWidget(m_unitsCaption);
    bottomLayout->addWidget(m_filter);
    bottomLayout->addWidget(m_units, 1);
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(top);
    splitter->addWidget(bottom);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(splitter);

    connect(folder, &QPushButton::clicked, this, &DataPanel::chooseFolderRequested);
    connect(file, &QPushButton::clicked, this, &DataPanel::chooseFileRequested);
    connect(demo, &QPushButton::clicked, this, &DataPanel::demoRequested);
    connect(m_filter, &QLineEdit::textChanged, this, &DataPanel::filterUnits);
    connect(m_units, &QTreeWidget::itemActivated, this,
            [this](QTreeWidgetItem* item) { pickRow(m_units->indexOfTopLevelItem(item)); });
    clearUnits();
}

void DataPanel::setPreview(const QString& source, const engine::DataPreview& preview) {
    const auto& info = preview.info;
    m_thumbs->clear();
    if (!preview.sequences.empty()) {  // token inputs: their first sequences as text
        m_source->setText(tr("%1: %2 token sequences of %3 tokens").arg(source).arg(info.count).arg(info.width));
        m_thumbs->setViewMode(QListView::ListMode);
        m_thumbs->setFlow(QListView::TopToBottom);
        m_thumbs->setWrapping(false);
        for (const auto& s : preview.sequences) new QListWidgetItem(QString::fromStdString(s), m_thumbs);
        return;
    }
    m_thumbs->setViewMode(QListView::IconMode);
    m_thumbs->setFlow(QListView::LeftToRight);
    m_thumbs->setWrapping(true);
    m_source->setText(tr("%1: %2 images, %3 \u00d7 %4 \u00d7 %5%6")
                          .arg(source.isEmpty() ? tr("Demo shapes") : source)
                          .arg(info.count)
                          .arg(info.channels)
                          .arg(info.height)
                          .arg(info.width)
                          .arg(info.classNames.empty() ? QString() : tr(", %1 classes").arg(info.classNames.size())));
    for (const auto& t : preview.thumbnails) {
        const QImage image(t.rgb.data(), t.width, t.height, t.width * 3, QImage::Format_RGB888);
        auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(image.scaled(kThumb, kThumb, Qt::KeepAspectRatio,
                                                                               Qt::SmoothTransformation))),
                                         QString::fromStdString(t.label), m_thumbs);
        item->setToolTip(QString::fromStdString(t.label));
    }
}

int DataPanel::thumbnailCount() const { return m_thumbs->count(); }
QString DataPanel::sourceText() const { return m_source->text(); }

void DataPanel::setUnits(const engine::UnitActivations& units) {
    m_layer = QString::fromStdString(units.layer);
    m_units->setSortingEnabled(false);
    m_units->clear();
    const double top = units.mean.empty() ? 1.0 : std::max(1e-12, *std::max_element(units.mean.begin(), units.mean.end()));
    for (size_t u = 0; u < units.mean.size(); ++u) {
        auto* item = new UnitItem(m_units);
        item->setText(0, QString::number(u));
        item->setData(0, Qt::UserRole, double(u));
        if (u < units.pictures.size() && !units.pictures[u].empty()) {  // what the unit looks for
            const auto& p = units.pictures[u];
            const QImage image(p.rgb.data(), p.width, p.height, 3 * p.width, QImage::Format_RGB888);
            const bool crisp = p.kind == "kernel";
            item->setIcon(0, QIcon(QPixmap::fromImage(image.scaled(56, 56, Qt::KeepAspectRatio,
                                                                   crisp ? Qt::FastTransformation : Qt::SmoothTransformation))));
            item->setToolTip(0, crisp ? tr("Unit %1: its filter's weights (grey is zero)").arg(u)
                                      : tr("Unit %1: where it responds most, in image %2 (activation %3)")
                                            .arg(u).arg(p.imageIndex).arg(p.activation, 0, 'g', 4));
        }
        item->setText(1, QString::number(units.mean[u], 'g', 4));
        item->setData(1, Qt::UserRole, units.mean[u]);
        // A bar behind the number: how this unit compares with the layer's most active one.
        QLinearGradient bar(0, 0, 1, 0);
        bar.setCoordinateMode(QGradient::ObjectMode);
        const double f = std::clamp(units.mean[u] / top, 0.0, 1.0);
        QColor fill = palette().color(QPalette::Highlight);
        fill.setAlpha(90);
        bar.setColorAt(0, fill);
        bar.setColorAt(f, fill);
        bar.setColorAt(std::min(1.0, f + 1e-3), Qt::transparent);
        item->setBackground(1, bar);
    }
    m_units->setSortingEnabled(true);
    m_units->sortByColumn(1, Qt::DescendingOrder);
    m_unitsCaption->setText(tr("%1: %2 units, mean ReLU activation over %3 images. Double-click one to explain it.")
                                .arg(m_layer)
                                .arg(units.mean.size())
                                .arg(units.images));
    filterUnits(m_filter->text());
}

void DataPanel::clearUnits(const QString& message) {
    m_layer.clear();
    m_units->clear();
    m_unitsCaption->setText(message.isEmpty() ? tr("Select a layer in the model tree to list its units.") : message);
}

int DataPanel::unitPictureCount() const {
    int count = 0;
    for (int i = 0; i < m_units->topLevelItemCount(); ++i) count += !m_units->topLevelItem(i)->icon(0).isNull();
    return count;
}

int DataPanel::unitCount() const { return m_units->topLevelItemCount(); }

int DataPanel::visibleUnitCount() const {
    int n = 0;
    for (int i = 0; i < m_units->topLevelItemCount(); ++i) n += !m_units->topLevelItem(i)->isHidden();
    return n;
}

void DataPanel::filterUnits(const QString& text) {
    for (int i = 0; i < m_units->topLevelItemCount(); ++i) {
        auto* item = m_units->topLevelItem(i);
        item->setHidden(!text.isEmpty() && !item->text(0).contains(text.trimmed()));
    }
}

void DataPanel::pickRow(int row) {
    auto* item = m_units->topLevelItem(row);
    if (item && !m_layer.isEmpty()) Q_EMIT unitPicked(m_layer + QLatin1Char(':') + item->text(0));
}

}  // namespace cx::widgets
