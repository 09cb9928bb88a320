import { defineErrors, fileErrors } from '@flotilla/platform';

/** Errors of an upload, whoever receives it (the api's multipart route, the bot's file handler). */
export const uploadErrors = defineErrors({
  TOO_LARGE: fileErrors.TOO_LARGE.definition,
  UNSUPPORTED_TYPE: {
    code: 'MEDIA.UNSUPPORTED_TYPE',
    kind: 'unsupported',
    title: 'This type of file is not supported here',
  },
  NO_FILE: { code: 'MEDIA.NO_FILE', kind: 'bad_request', title: 'The request carries no file' },
  EMPTY_FILE: { code: 'MEDIA.EMPTY_FILE', kind: 'invalid', title: 'The file is empty' },
  UPLOAD_INCOMPLETE: {
    code: 'MEDIA.UPLOAD_INCOMPLETE',
    kind: 'bad_request',
    title: 'The upload ended before the whole file was received',
  },
});
