/** esbuild's `text` loader: a stylesheet imported as a string (the widget puts it in its shadow root). */
declare module '*.css' {
  const text: string;
  export default text;
}
