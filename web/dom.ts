/** Small DOM helpers of the pages. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

export function setText(id: string, text: string, title?: string): void {
  const element = byId(id);
  if (element.textContent !== text) element.textContent = text;
  if (title !== undefined) element.title = title;
}

export function clear<T extends HTMLElement>(element: T): T {
  element.replaceChildren();
  return element;
}

/** A table row of text cells; `span` makes one cell across that many columns. */
export function row(cells: string[], className = '', span?: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (className) tr.className = className;
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = text;
    if (span !== undefined) td.colSpan = span;
    tr.append(td);
  }
  return tr;
}

/** Name and value rows; a value may be a node (a link). */
export function detailsList(rows: Array<[string, string | Node]>): HTMLDListElement {
  const list = document.createElement('dl');
  list.className = 'details';
  for (const [name, value] of rows) {
    const term = document.createElement('dt');
    term.textContent = name;
    const definition = document.createElement('dd');
    definition.append(value);
    definition.dataset.field = name;
    list.append(term, definition);
  }
  return list;
}
