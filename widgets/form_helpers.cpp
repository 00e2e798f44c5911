#include "widgets/form_helpers.h"

#include <QApplication>
#include <QFile>
#include <QIcon>

#include <QComboBox>
#include <QScrollArea>
#include <QVBoxLayout>

namespace cx::widgets {

QComboBox* valueCombo(QWidget* parent, const QList<std::pair<QString, QString>>& items, const QString& tip) {
    auto* box = new QComboBox(parent);
    for (const auto& [label, value] : items) box->addItem(label, value);
    box->setToolTip(tip);
    return box;
}

void selectValue(QComboBox* box, const QString& value) {
    const int i = box->findData(value);
    if (i >= 0) box->setCurrentIndex(i);
}

QIcon appIcon(const QString& name, QStyle::StandardPixmap fallback) {
    const QString path = QStringLiteral(":/icons/%1.svg").arg(name);
    return QFile::exists(path) ? QIcon(path) : QApplication::style()->standardIcon(fallback);
}

QWidget* controlColumn(QWidget* parent, const QList<QWidget*>& groups) {
    auto* column = new QWidget(parent);
    auto* layout = new QVBoxLayout(column);
    layout->setContentsMargins(0, 0, 4, 0);
    for (QWidget* group : groups) layout->addWidget(group);
    layout->addStretch(1);
    auto* scroll = new QScrollArea(parent);
    scroll->setWidget(column);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(column->sizeHint().width() + 12);
    return scroll;
}

}  // namespace cx::widgets
