import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { invalidParamsOf, validationProblem } from './problem-details';

/**
 * Validates request bodies and query strings against their DTO class: a body that is not a
 * JSON object is rejected as such, and every bad field or parameter is named once with the
 * first rule it broke.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (!metatype || PLAIN_TYPES.has(metatype)) return value;
    // A whole query string against its DTO; a single named parameter is left to the handler.
    if (metadata.type === 'query') return metadata.data === undefined ? validateAs(metatype, { ...(value as object | undefined) }) : value;
    if (metadata.type !== 'body') return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw validationProblem([{ name: 'body', reason: 'must be a JSON object (Content-Type: application/json)' }]);
    }
    return (metatype as Partial<QuicklyChecked>).fromWellFormed?.(value as Record<string, unknown>) ?? validateAs(metatype, value);
  }
}

/**
 * A DTO class on a hot route may build itself by hand from a body its decorators certainly
 * accept (undefined when unsure); such a body skips class-transformer and class-validator.
 */
export interface QuicklyChecked {
  fromWellFormed(body: Record<string, unknown>): object | undefined;
}

const PLAIN_TYPES = new Set<unknown>([Object, String, Number, Boolean, Array]);

const validateAs = async (metatype: unknown, value: object): Promise<object> => {
  const instance = plainToInstance(metatype as new () => object, value);
  const errors = await validate(instance, { stopAtFirstError: true, forbidUnknownValues: false, validationError: { target: false, value: false } });
  if (errors.length > 0) throw validationProblem(invalidParamsOf(errors));
  return instance;
};
