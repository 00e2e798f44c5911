#include "widgets/mask_list.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QMenu>
#include <QPushButton>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace cx::widgets {
namespace {
enum Column { Name, Kind, Kept };
constexpr int kPathRole = Qt::UserRole, kScoresRole = Qt::UserRole + 1, kAutoNameRole = Qt::UserRole + 2;
// Found circuits pile up as the sparsity slider moves: the oldest ones nobody renamed go first.
constexpr int kMaxUnrenamedCircuits = 12;
}  // namespace

MaskList::MaskList(QWidget* parent) : QWidget(parent) {
    m_tree = new QTreeWidget(this);
    m_tree->setHeaderLabels({tr("Name"), tr("Kind"), tr("Keeps")});
    m_tree->setRootIsDecorated(false);
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setEditTriggers(QAbstractItemView::EditKeyPressed);  // F2 renames; double-click draws
    m_tree->header()->setSectionResizeMode(Name, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(Kind, QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(Kept, QHeaderView::ResizeToContents);
    m_tree->setToolTip(tr("Masks of this session. Double-click to draw one, F2 to rename; select two to compare them."));
    m_show = new QPushButton(tr("Show"), this);
    m_show->setToolTip(tr("Draw the selected mask's circuit"));
    m_compare = new QPushButton(tr("Compare"), this);
    m_compare->setToolTip(tr("Layer-wise overlap of the two selected masks (or of one mask with itself: kept vs removed)"));
    m_save = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Save"), this);
    m_save->setToolTip(tr("Save the selected mask, or the scores it was pruned from, as a safetensors file"));
    auto* saveMenu = new QMenu(m_save);
    saveMenu->addAction(tr("Save Mask\u2026"), this, [this] {
        if (!selectedPaths().isEmpty()) Q_EMIT saveRequested(selectedPaths().first(), nameOf(selectedPaths().first()));
    });
    m_saveScores = saveMenu->addAction(tr("Save Scores\u2026"), this, [this] {
        if (selectedPaths().isEmpty()) return;
        const auto* item = itemFor(selectedPaths().first());
        Q_EMIT saveScoresRequested(item->data(Name, kScoresRole).toString(), item->text(Name));
    });
    m_save->setMenu(saveMenu);
    m_remove = new QPushButton(tr("Remove"), this);
    m_remove->setToolTip(tr("Take the selected masks off this list (files you saved stay)"));
    auto* buttons = new QHBoxLayout;
    for (auto* b : {m_show, m_compare, m_save, m_remove}) buttons->addWidget(b);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_tree, 1);
    layout->addLayout(buttons);

    connect(m_tree, &QTreeWidget::itemSelectionChanged, this, &MaskList::updateButtons);
    connect(m_tree, &QTreeWidget::itemDoubleClicked, this,
            [this](QTreeWidgetItem* item) { Q_EMIT showRequested(item->data(Name, kPathRole).toString()); });
    connect(m_tree, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem*, int column) {
        if (column == Name) Q_EMIT masksChanged();
    });
    connect(m_show, &QPushButton::clicked, this, [this] {
        if (!selectedPaths().isEmpty()) Q_EMIT showRequested(selectedPaths().first());
    });
    connect(m_compare, &QPushButton::clicked, this, [this] {
        const QStringList paths = selectedPaths();
        if (!paths.isEmpty()) Q_EMIT compareRequested(paths.first(), paths.value(1));
    });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        for (const QString& path : selectedPaths()) delete itemFor(path);
        Q_EMIT masksChanged();
    });
    updateButtons();
}

QTreeWidgetItem* MaskList::itemFor(const QString& path) const {
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i)
        if (m_tree->topLevelItem(i)->data(Name, kPathRole).toString() == path) return m_tree->topLevelItem(i);
    return nullptr;
}

void MaskList::addMask(const MaskEntry& entry) {
    QTreeWidgetItem* item = itemFor(entry.path);
    if (!item) item = new QTreeWidgetItem(m_tree);
    const QSignalBlocker block(m_tree);
    item->setFlags(item->flags() | Qt::ItemIsEditable);
    item->setText(Name, entry.name);
    item->setText(Kind, entry.kind);
    item->setText(Kept, entry.summary);
    item->setToolTip(Name, entry.path);
    item->setData(Name, kPathRole, entry.path);
    item->setData(Name, kScoresRole, entry.scores);
    item->setData(Name, kAutoNameRole, entry.name);
    if (entry.kind == QLatin1String("circuit")) {
        QList<QTreeWidgetItem*> unrenamed;
        for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
            auto* other = m_tree->topLevelItem(i);
            if (other->text(Kind) == entry.kind && other->text(Name) == other->data(Name, kAutoNameRole).toString())
                unrenamed << other;
        }
        while (unrenamed.size() > kMaxUnrenamedCircuits) delete unrenamed.takeFirst();
    }
    m_tree->clearSelection();
    item->setSelected(true);
    m_tree->scrollToItem(item);
    updateButtons();
    Q_EMIT masksChanged();
}

void MaskList::clear() {
    m_tree->clear();
    Q_EMIT masksChanged();
}

QList<MaskEntry> MaskList::masks() const {
    QList<MaskEntry> out;
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        const auto* item = m_tree->topLevelItem(i);
        out.append({item->text(Name), item->data(Name, kPathRole).toString(), item->text(Kind), item->text(Kept),
                    item->data(Name, kScoresRole).toString()});
    }
    return out;
}

int MaskList::count() const { return m_tree->topLevelItemCount(); }

QStringList MaskList::selectedPaths() const {
    QStringList out;
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i)
        if (m_tree->topLevelItem(i)->isSelected()) out << m_tree->topLevelItem(i)->data(Name, kPathRole).toString();
    return out;
}

void MaskList::select(const QStringList& paths) {
    m_tree->clearSelection();
    for (const QString& path : paths)
        if (auto* item = itemFor(path)) item->setSelected(true);
}

bool MaskList::canSaveScores() const { return m_saveScores->isEnabled(); }

QString MaskList::scoresOf(const QString& path) const {
    const auto* item = itemFor(path);
    return item ? item->data(Name, kScoresRole).toString() : QString();
}

QString MaskList::nameOf(const QString& path) const {
    const auto* item = itemFor(path);
    return item ? item->text(Name) : QString();
}

void MaskList::updateButtons() {
    const int n = int(selectedPaths().size());
    m_show->setEnabled(n >= 1);
    m_compare->setEnabled(n == 1 || n == 2);
    m_save->setEnabled(n == 1);
    m_saveScores->setEnabled(n == 1 && !itemFor(selectedPaths().first())->data(Name, kScoresRole).toString().isEmpty());
    m_remove->setEnabled(n >= 1);
}

}  // namespace cx::widgets
