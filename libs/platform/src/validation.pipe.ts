import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { invalidParamsOf, validationProblem } from './problem-details';

/**
 * Validates request bodies against their DTO class: a body that is not a JSON object is
 * rejected as such, and every bad field is named once with the first rule it broke.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body' || !metadata.metatype || metadata.metatype === Object) return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw validationProblem([{ name: 'body', reason: 'must be a JSON object (Content-Type: application/json)' }]);
    }
    const instance = plainToInstance(metadata.metatype as new () => object, value);
    const errors = await validate(instance, { stopAtFirstError: true, forbidUnknownValues: false, validationError: { target: false, value: false } });
    if (errors.length > 0) throw validationProblem(invalidParamsOf(errors));
    return instance;
  }
}
