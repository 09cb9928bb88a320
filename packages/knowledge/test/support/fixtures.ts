import { AlignmentType, Document, Packer, Paragraph, TextRun } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';

/** A PDF whose pages hold the given lines (one array of lines per page). */
export async function makePdf(pages: readonly (readonly string[])[]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage([595, 842]);
    lines.forEach((line, i) => {
      page.drawText(line, { x: 50, y: 780 - i * 18, size: 11, font });
    });
  }
  return Buffer.from(await pdf.save());
}

/** A PDF with pages and no text layer (like a scan). */
export async function makeEmptyPdf(pageCount = 1): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  for (let i = 0; i < pageCount; i += 1) pdf.addPage([595, 842]);
  return Buffer.from(await pdf.save());
}

/** A docx with one paragraph per entry. */
export async function makeDocx(paragraphs: readonly string[]): Promise<Buffer> {
  const document = new Document({
    sections: [
      {
        children: paragraphs.map(
          (text) => new Paragraph({ alignment: AlignmentType.LEFT, children: [new TextRun(text)] }),
        ),
      },
    ],
  });
  return Packer.toBuffer(document);
}

/** Content types of the fixtures. */
export const CONTENT_TYPES = {
  txt: 'text/plain',
  md: 'text/markdown',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
} as const;
