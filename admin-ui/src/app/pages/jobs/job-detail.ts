import { Component } from '@angular/core';

@Component({ selector: 'app-stub', template: '<p>JobDetailPage</p>' })
export class JobDetailPage {}
