/**
 * Text from outside, quoted for an error message: JSON-escaped (a newline or a control
 * character cannot break the one-line message or the terminal) and cut to a readable length.
 */
export function quote(text: string, maxChars = 100): string {
  return JSON.stringify(text.length > maxChars ? text.slice(0, maxChars) + '…' : text);
}
